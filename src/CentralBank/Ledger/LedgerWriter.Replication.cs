using System.Buffers;
using LedgerContrast.CentralBank.Storage;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// The replicated half of the writer. On the leader, the writer thread forms its group-commit
/// batch as a single server does, but instead of executing it puts it into the replicated log as
/// one entry (<see cref="CommandBatch"/>), up to <see cref="MaxBatchesInFlight"/> at a time. Every
/// replica — the leader too — executes an entry only when the log hands it over committed
/// (<see cref="ApplyReplicated"/>), in log order, at the time the leader fixed, so every journal is
/// the same. The leader answers its callers from its own execution of the entry: a transfer is
/// acknowledged once a majority has the entry on disk and the leader has applied it.
/// </summary>
public sealed partial class LedgerWriter
{
    /// <summary>Batches the leader has put into the log and not yet seen applied (pipelining across the network round trip).</summary>
    public const int MaxBatchesInFlight = 8;

    /// <summary>The counter holding the log index of the last entry applied to this ledger (in the same commit as its effects).</summary>
    public const string AppliedIndexCounter = "raft-applied-index";

    /// <summary>The counter holding the time the last applied entry ran at: times never go back across a change of leader.</summary>
    public const string AppliedTimeCounter = "raft-applied-time";

    private readonly ILedgerReplication? _replication;
    private readonly SemaphoreSlim _inFlight = new(MaxBatchesInFlight, MaxBatchesInFlight);
    private long _appliedIndex;
    private long _appliedTimeMs;

    /// <summary>The log index of the last entry applied to this ledger (0 for a single server).</summary>
    public long AppliedIndex => Volatile.Read(ref _appliedIndex);

    private static Rejection LeaderChanged { get; } = new(Reasons.LeaderChanged,
        "The bank's leader changed while this request was being replicated; it may or may not have been recorded. Retry it with the same idempotency key: it is answered from the ledger, never applied twice.");

    /// <summary>The leader's entry context: the callers' commands, matched to the entry by its id.</summary>
    private sealed record PendingBatch(Guid Id, IReadOnlyList<LedgerCommand> Commands);

    private void ReplicateBatch(List<LedgerCommand> batch)
    {
        if (_replication!.RefuseWrites() is { } refusal)
        {
            Answer(batch, refusal);
            return;
        }
        if (!HasRoomForWrites())
        {
            Answer(batch, new Rejection(Reasons.StorageFull,
                "The bank's disk is full: it is refusing changes until space is freed; reads and the audit still work. Nothing was changed."));
            return;
        }
        var pending = new PendingBatch(Guid.NewGuid(), batch.ToArray());
        var entry = new CommandBatch(pending.Id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), pending.Commands).Encode();
        _inFlight.Wait();
        _ = ReplicateAsync(entry, pending);
    }

    private async Task ReplicateAsync(byte[] entry, PendingBatch pending)
    {
        try
        {
            await _replication!.ReplicateAsync(entry, pending, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever ended the replication, the callers hear that the outcome is unknown.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogReplicationEnded(_logger, pending.Commands.Count, ex.GetType().Name, ex.Message);
        }
        finally
        {
            _inFlight.Release();
            // Answered by the apply when it ran here; otherwise the outcome is unknown.
            Answer(pending.Commands, LeaderChanged);
        }
    }

    /// <summary>
    /// Applies a committed log entry: called by the replication engine, one entry at a time, in
    /// log order. An entry at or below <see cref="AppliedIndex"/> was applied before a restart and
    /// is skipped. Any failure stops this replica (fail-stop); the restart applies the entry again.
    /// </summary>
    public void ApplyReplicated(long index, ReadOnlySequence<byte> payload, object? context)
    {
        if (_fatal is not null)
        {
            throw new InvalidOperationException("The ledger writer has stopped after a storage fault.", _fatal);
        }
        if (index <= _appliedIndex)
        {
            return;
        }
        CommandBatch batch;
        try
        {
            batch = CommandBatch.Decode(payload);
        }
        catch (InvalidDataException ex)
        {
            var corrupt = new InvalidDataException($"Log entry {index} is not a batch of bank commands ({ex.Message}): the log is corrupt or from another program.", ex);
            Stop([], corrupt);
            throw corrupt;
        }
        var callers = context is PendingBatch pending && pending.Id == batch.Id && pending.Commands.Count == batch.Commands.Count
            ? pending.Commands
            : [];
        var nowMs = Math.Max(batch.TimeMs, _appliedTimeMs);
        if (!Apply(batch.Commands, nowMs, index, callers))
        {
            throw new InvalidOperationException($"Log entry {index} could not be applied; this replica has stopped.", _fatal);
        }
        Volatile.Write(ref _appliedIndex, index);
        _appliedTimeMs = nowMs;
        for (var i = 0; i < callers.Count; i++)
        {
            callers[i].AnswerFrom(batch.Commands[i]);
        }
        PruneExpiredKeys(nowMs);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} commands ended unreplicated or unconfirmed ({Error}: {Detail}); its callers were told LEADER_CHANGED")]
    private static partial void LogReplicationEnded(ILogger logger, int count, string error, string detail);
}
