using Grpc.Core;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// Every way the bank refuses a request: a stable reason (docs/BANK.md lists them) and the gRPC
/// status it travels with. Reasons never change once published; clients branch on them.
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

    public static StatusCode StatusOf(string reason) => reason switch
    {
        InsufficientFunds or AlreadyReversed or NotReversible or ReversalInsufficientFunds
            or IdempotencyKeyReused or BalanceOverflow => StatusCode.FailedPrecondition,
        AccountNotFound or CustomerNotFound or EntryNotFound => StatusCode.NotFound,
        SameAccount or InvalidAmount or InvalidArgument => StatusCode.InvalidArgument,
        Unauthenticated => StatusCode.Unauthenticated,
        PermissionDenied => StatusCode.PermissionDenied,
        ShuttingDown or LedgerStopped => StatusCode.Unavailable,
        StorageFull or Overloaded => StatusCode.ResourceExhausted,
        _ => StatusCode.Internal,
    };
}

/// <summary>
/// A refusal decided by the ledger; it is an outcome (stored for idempotent replays), not a crash.
/// <paramref name="RetryAfterMs"/> &gt; 0 tells the client when a retry may succeed (OVERLOADED).
/// </summary>
public sealed record Rejection(string Reason, string Message, long RetryAfterMs = 0);

/// <summary>Thrown to carry a <see cref="Rejection"/> out of validation code.</summary>
public sealed class RejectionException(string reason, string message, long retryAfterMs = 0)
    : ReasonedException(reason, message, retryAfterMs > 0 ? new Dictionary<string, string> { ["retry_after_ms"] = retryAfterMs.ToString(System.Globalization.CultureInfo.InvariantCulture) } : null)
{
    public RejectionException(Rejection rejection) : this(rejection?.Reason ?? "", rejection?.Message ?? "", rejection?.RetryAfterMs ?? 0)
    {
    }

    public Rejection Rejection { get; } = new(reason, message, retryAfterMs);
    public override StatusCode StatusCode => Reasons.StatusOf(Reason);
}
