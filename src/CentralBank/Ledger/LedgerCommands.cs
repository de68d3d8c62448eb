namespace LedgerContrast.CentralBank.Ledger;

/// <summary>Who is asking: the admin (teller) or one customer. Idempotency keys are scoped to it.</summary>
public sealed record Principal(bool IsAdmin, string? CustomerId)
{
    public static Principal Admin { get; } = new(true, null);
    public string Scope => IsAdmin ? "admin" : CustomerId!;
}

/// <summary>A request queued for the single ledger writer thread.</summary>
public abstract record LedgerCommand
{
    internal TaskCompletionSource<object> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public sealed record CreateCustomerCommand(string Name, string TokenHash) : LedgerCommand;

public sealed record OpenAccountCommand(string CustomerId) : LedgerCommand;

/// <summary>Deposit (cash in) or withdrawal (cash out) at the teller.</summary>
public sealed record CashCommand(string Kind, string AccountId, long Amount, Principal Principal, string IdempotencyKey) : LedgerCommand;

public sealed record TransferCommand(string FromAccountId, string ToAccountId, long Amount, Principal Principal, string IdempotencyKey) : LedgerCommand;

public sealed record ReverseCommand(string EntryId, string Memo, bool Force, Principal Principal) : LedgerCommand;

public sealed record CustomerCreated(string CustomerId);

public sealed record AccountOpened(string AccountId, string CustomerId);

/// <summary>
/// A committed money movement, as the client is told (and told again on an idempotent retry).
/// <paramref name="EntryHash"/> is the journal's hash at this entry: the client's anchor, which
/// `bank audit --expect` later checks the file against.
/// </summary>
public sealed record EntryCommitted(string EntryId, long Sequence, long FromBalance, long ToBalance, long CommittedMs, string EntryHash);
