namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// What the ledger needs from a replication engine (Raft, in Replication/): whether this replica
/// may take writes, a way to put a batch into the replicated log, and a read barrier. The ledger
/// knows nothing of Raft; a single server has no replication at all.
/// </summary>
public interface ILedgerReplication
{
    /// <summary>Null while this replica leads and has applied every entry of earlier terms; else the refusal (NOT_LEADER, with the leader's address when one is known).</summary>
    Rejection? RefuseWrites();

    /// <summary>
    /// Appends <paramref name="entry"/> to the log and completes once a majority holds it on disk
    /// and this replica has applied it (its state machine receives <paramref name="context"/>).
    /// Throws when this replica stops leading first: the entry may or may not be committed later.
    /// </summary>
    Task ReplicateAsync(ReadOnlyMemory<byte> entry, object context, CancellationToken cancellation);

    /// <summary>Completes once this replica, confirmed as leader, has applied everything committed before the call; returns the refusal if it is not the leader.</summary>
    Task<Rejection?> ReadBarrierAsync(CancellationToken cancellation);
}
