using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace LedgerContrast.CentralBank.Replication;

/// <summary>
/// DotNext's <see cref="WriteAheadLog"/>, except that entries a follower receives are on disk
/// before it answers the leader.
/// <para>
/// Why: in DotNext.Net.Cluster 6.12.2 a follower's AppendEntries handler appends the entries to
/// memory-mapped pages, commits up to the leader's commit index (which waits for the flush of
/// committed entries only) and acknowledges; the new entries are flushed, and the checkpoint that
/// says how far the log reaches is written, later, in the background. A follower killed in that
/// window restarts without entries it acknowledged; if the leader then stops too, an entry a
/// majority acknowledged — and the bank acknowledged to its client — is lost. The Jepsen-style
/// test caught it. This log re-implements the one interface method the handler calls and waits
/// for <see cref="WriteAheadLog.FlushAsync"/> after every batch of received entries; a leader's
/// own entries need no wait, since DotNext flushes them before it counts them committed.
/// (The interface cannot be wrapped instead: one of its setters is internal to DotNext.)
/// </para>
/// </summary>
internal sealed class DurableLog(WriteAheadLog.Options options, IStateMachine stateMachine)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>
{
    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        await FlushAsync(token).ConfigureAwait(false);
    }
}
