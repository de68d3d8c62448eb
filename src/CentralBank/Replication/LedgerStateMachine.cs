using System.Buffers;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using LedgerContrast.CentralBank.Ledger;

namespace LedgerContrast.CentralBank.Replication;

/// <summary>
/// The Raft state machine: each committed entry is one batch of commands, applied to this
/// replica's own LiteDB ledger (rqlite's shape: Raft over an embedded database). It takes no
/// snapshots: the log is kept whole, as the journal is, and a replica that falls behind catches up
/// from it (docs/BANK.md says why).
/// </summary>
internal sealed class LedgerStateMachine(BankLedger ledger) : IStateMachine
{
    public ISnapshot? Snapshot => null;

    public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;

    public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.IsSnapshot)
        {
            throw new InvalidDataException($"Log entry {entry.Index} is a snapshot; this bank never takes one, so it came from another program.");
        }
        if (!entry.TryGetPayload(out var payload))
        {
            var bytes = new ArrayBufferWriter<byte>();
            foreach (var segment in entry.GetPayload())
            {
                bytes.Write(segment.Span);
            }
            payload = new ReadOnlySequence<byte>(bytes.WrittenMemory);
        }
        ledger.ApplyReplicated(entry.Index, payload, entry.Context);
        return ValueTask.FromResult(entry.Index);
    }
}
