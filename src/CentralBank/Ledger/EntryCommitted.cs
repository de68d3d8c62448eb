namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// A committed money movement, as the client is told (and told again on an idempotent retry).
/// <paramref name="EntryHash"/> is the journal's hash at this entry: the client's anchor, which
/// `bank audit --expect` later checks the file against.
/// </summary>
public sealed record EntryCommitted(string EntryId, long Sequence, long FromBalance, long ToBalance, long CommittedMs, string EntryHash);
