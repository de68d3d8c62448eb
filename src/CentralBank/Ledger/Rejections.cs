using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// Every way the bank refuses a request: a stable reason (docs/BANK.md lists them; the gRPC
/// status each travels with is the API's, <see cref="Api.BankStatuses"/>). Reasons never change once published; clients branch on them.
/// </summary>
public static class Reasons
{
    public const string InsufficientFunds = "INSUFFICIENT_FUNDS";
    public const string AccountNotFound = "ACCOUNT_NOT_FOUND";
    public const string CustomerNotFound = "CUSTOMER_NOT_FOUND";
    public const string EntryNotFound = "ENTRY_NOT_FOUND";
    public const string SameAccount = "SAME_ACCOUNT";
    public const string InvalidAmount = "INVALID_AMOUNT";
    public const string InvalidArgument = "INVALID_ARGUMENT";
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
    public const string Unauthenticated = "UNAUTHENTICATED";
    public const string PermissionDenied = "PERMISSION_DENIED";
    public const string AlreadyReversed = "ALREADY_REVERSED";
    public const string NotReversible = "NOT_REVERSIBLE";
    public const string ReversalInsufficientFunds = "REVERSAL_INSUFFICIENT_FUNDS";
    public const string BalanceOverflow = "BALANCE_OVERFLOW";
    public const string ShuttingDown = "SHUTTING_DOWN";
    public const string StorageFailure = "STORAGE_FAILURE";
    public const string StorageFull = "STORAGE_FULL";
    public const string LedgerStopped = "LEDGER_STOPPED";
    public const string Overloaded = "OVERLOADED";

    /// <summary>A replica that does not lead refused a write or a linearizable read; metadata <c>leader</c> names the leader's gRPC address when it is known.</summary>
    public const string NotLeader = "NOT_LEADER";

    /// <summary>The leader stopped leading while the request was being replicated: it may or may not have been recorded; retry with the same idempotency key.</summary>
    public const string LeaderChanged = "LEADER_CHANGED";

    /// <summary>The replica's log or ledger is unreadable or does not match the log: it stopped rather than serve.</summary>
    public const string ReplicaCorrupt = "REPLICA_CORRUPT";
}

/// <summary>
/// A refusal decided by the ledger; it is an outcome (stored for idempotent replays), not a crash.
/// <paramref name="RetryAfterMs"/> &gt; 0 tells the client when a retry may succeed (OVERLOADED);
/// <paramref name="Leader"/> is the leader's gRPC address a follower sends with NOT_LEADER.
/// </summary>
public sealed record Rejection(string Reason, string Message, long RetryAfterMs = 0, string? Leader = null)
{
    /// <summary>The reason's metadata as it travels (docs/BANK.md): <c>retry_after_ms</c>, <c>leader</c>.</summary>
    public IReadOnlyDictionary<string, string>? Metadata()
    {
        if (RetryAfterMs <= 0 && string.IsNullOrEmpty(Leader))
        {
            return null;
        }
        var metadata = new Dictionary<string, string>();
        if (RetryAfterMs > 0)
        {
            metadata["retry_after_ms"] = RetryAfterMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (!string.IsNullOrEmpty(Leader))
        {
            metadata["leader"] = Leader;
        }
        return metadata;
    }
}

/// <summary>Thrown to carry a <see cref="Rejection"/> out of validation code.</summary>
public sealed class RejectionException(Rejection rejection) : ReasonedException(rejection.Reason, rejection.Message, rejection.Metadata())
{
    public RejectionException(string reason, string message, long retryAfterMs = 0) : this(new Rejection(reason, message, retryAfterMs))
    {
    }

    public Rejection Rejection { get; } = rejection;
}
