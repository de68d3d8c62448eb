using LedgerContrast.Shared.Storage;
using System.Collections.Concurrent;
using LedgerContrast.CentralBank.Storage;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// The one thread that writes the ledger. It takes whatever commands are queued (up to
/// <see cref="MaxBatch"/>), runs them inside one LiteDB transaction, commits, fsyncs, then
/// publishes the new state and answers every caller: group commit. One writer makes
/// read-modify-write safe without locks, and LiteDB's thread-bound transactions never cross an
/// await (docs/ARCHITECTURE.md).
/// <para>
/// Storage failures are split at the commit. Before it, nothing reached the file: the batch is
/// rolled back and refused (STORAGE_FULL when the disk is full). From the commit on, the batch
/// may be on disk while memory says it is not, so the writer stops for good (fail-stop, as
/// TigerBeetle and PostgreSQL after fsyncgate): callers hear LEDGER_STOPPED, the host exits, and
/// the restart recovers the truth from the file, where a retried idempotency key replays.
/// </para>
/// </summary>
public sealed partial class LedgerWriter : IDisposable
{
    public const int MaxBatch = 1000;

    /// <summary>By default, commands waiting beyond this are refused with OVERLOADED instead of growing memory without bound.</summary>
    public const int DefaultMaxQueued = 20_000;

    private readonly BankDatabase _db;
    private readonly LedgerState _state;
    private readonly IdempotencyStore _keys;
    private readonly DiskSpaceGuard _disk;
    private readonly TimeSpan _keyRetention;
    private readonly ILogger _logger;
    private readonly Action<Exception> _onFatal;
    private readonly BlockingCollection<LedgerCommand> _queue;
    private readonly int _maxQueued;
    private readonly Thread _thread;
    private long _lastKeyPruneMs;
    private volatile Exception? _fatal;
    private bool _refusingForSpace;
    private bool _reserveHeld;

    public LedgerWriter(BankDatabase db, LedgerState state, DiskSpaceGuard disk, TimeSpan keyRetention, ILogger logger, Action<Exception> onFatal,
        int maxQueued = DefaultMaxQueued, ILedgerReplication? replication = null)
    {
        _replication = replication;
        (_appliedIndex, _appliedTimeMs) = (db.Counters.FindById(AppliedIndexCounter)?.Value ?? 0, db.Counters.FindById(AppliedTimeCounter)?.Value ?? 0);
        _maxQueued = maxQueued;
        _queue = new BlockingCollection<LedgerCommand>(new ConcurrentQueue<LedgerCommand>(), maxQueued);
        _db = db;
        _state = state;
        _keys = new IdempotencyStore(db, state.RecentKeys, state.IdempotencyKeys);
        _disk = disk;
        _keyRetention = keyRetention;
        _logger = logger;
        _onFatal = onFatal;
        _reserveHeld = disk.TryEnsureReserve();
        _thread = new Thread(Run) { IsBackground = true, Name = "ledger-writer" };
        _thread.Start();
    }

    public long BatchesCommitted { get; private set; }

    /// <summary>Commands waiting for the writer right now.</summary>
    public int QueuedCommands => _queue.Count;

    /// <summary>The storage fault that stopped the writer, or null while it runs.</summary>
    public Exception? Fatal => _fatal;

    public bool IsRunning => _fatal is null && _thread.IsAlive && !_queue.IsAddingCompleted;

    /// <summary>Held by the writer across each commit, so a reader can open a snapshot of several collections between commits.</summary>
    internal Lock CommitGate { get; } = new();

    public Task<LedgerResult<T>> SubmitAsync<T>(LedgerCommand<T> command) where T : class
    {
        ArgumentNullException.ThrowIfNull(command);
        if (_fatal is not null)
        {
            command.Refuse(Stopped);
            return command.Outcome;
        }
        try
        {
            if (!_queue.TryAdd(command))
            {
                command.Refuse(new Rejection(Reasons.Overloaded,
                    $"The bank has {_maxQueued} requests waiting; retry after a short pause.", RetryAfterMs: 100));
            }
        }
        catch (InvalidOperationException)
        {
            command.Refuse(new Rejection(Reasons.ShuttingDown, "The bank is shutting down."));
        }
        return command.Outcome;
    }

    private static Rejection Stopped { get; } = new(Reasons.LedgerStopped,
        "The bank stopped after a storage fault; this request may or may not have been recorded. Retry it with the same idempotency key once the bank is back: it is answered from the ledger, never applied twice.");

    private void Run()
    {
        var batch = new List<LedgerCommand>(MaxBatch);
        foreach (var first in _queue.GetConsumingEnumerable())
        {
            if (_fatal is not null)
            {
                first.Refuse(Stopped);
                continue;
            }
            batch.Add(first);
            while (batch.Count < MaxBatch && _queue.TryTake(out var next))
            {
                batch.Add(next);
            }
            if (_replication is null)
            {
                ExecuteBatch(batch);
            }
            else
            {
                ReplicateBatch(batch);
            }
            batch.Clear();
            if (_fatal is null && _replication is null)
            {
                PruneExpiredKeys(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            }
        }
    }

    private void ExecuteBatch(List<LedgerCommand> batch)
    {
        if (!HasRoomForWrites())
        {
            Answer(batch, new Rejection(Reasons.StorageFull,
                "The bank's disk is full: it is refusing changes until space is freed; reads and the audit still work. Nothing was changed."));
            return;
        }
        if (!Apply(batch, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), replicatedIndex: 0, batch))
        {
            return;
        }
        foreach (var command in batch)
        {
            command.Answer();
        }
    }

    /// <summary>
    /// Executes <paramref name="commands"/> at <paramref name="nowMs"/> in one transaction, commits,
    /// fsyncs and publishes it; true once durable. With a <paramref name="replicatedIndex"/> the
    /// entry's log index is stored in the same commit, and any failure stops the writer: a
    /// committed log entry cannot be refused by one replica. <paramref name="callers"/> hear a
    /// refusal if the batch does not commit.
    /// </summary>
    private bool Apply(IReadOnlyList<LedgerCommand> commands, long nowMs, long replicatedIndex, IReadOnlyList<LedgerCommand> callers)
    {
        var context = new BatchContext(_state);
        var pending = _state.Materialization;
        Materialization.Written? materialized = null;
        var committed = Transact(callers, () =>
        {
            var executor = new CommandExecutor(_db, context, nowMs, _keyRetention, _keys);
            foreach (var command in commands)
            {
                command.Execute(executor);
            }
            _keys.AppendPending(nowMs, context.KeyLog);
            _keys.MoveOverCapacity(nowMs, context.KeyLog);
            materialized = pending.Write(_db, context);
            if (replicatedIndex > 0)
            {
                _db.Counters.Upsert(new CounterDoc { Id = AppliedIndexCounter, Value = replicatedIndex });
                _db.Counters.Upsert(new CounterDoc { Id = AppliedTimeCounter, Value = nowMs });
            }
        }, failStop: replicatedIndex > 0);
        if (!committed)
        {
            return false;
        }
        pending.Committed(context, materialized!);
        _state.RecentKeys.Apply(context.KeyLog);
        _state.Publish(context);
        BatchesCommitted++;
        if (!_reserveHeld)
        {
            _reserveHeld = _disk.TryEnsureReserve();
        }
        return true;
    }

    /// <summary>
    /// Runs <paramref name="write"/> in one transaction, commits and fsyncs it. A failure before the
    /// commit rolls back and answers <paramref name="batch"/> (nothing reached the file); from the
    /// commit on it stops the writer (the file may hold the batch). True once the batch is durable.
    /// </summary>
    private bool Transact(IReadOnlyList<LedgerCommand> batch, Action write, bool failStop = false)
    {
        _db.BeginTransaction();
        try
        {
            write();
            _db.BeforeCommit();
        }
#pragma warning disable CA1031 // Before the commit nothing reached the file: refuse this batch, keep serving.
        catch (Exception ex) when (!failStop)
#pragma warning restore CA1031
        {
            RollBack(batch, ex);
            return false;
        }
#pragma warning disable CA1031 // A replica cannot refuse a committed log entry: stop; the restart applies it again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Stop(batch, ex);
            return false;
        }
        try
        {
            lock (CommitGate)
            {
                _db.Commit();
            }
            _db.FlushToDisk();
            return true;
        }
#pragma warning disable CA1031 // From the commit on, the file may hold the batch: stop, never guess.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Stop(batch, ex);
            return false;
        }
    }

    private void RollBack(IReadOnlyList<LedgerCommand> batch, Exception cause)
    {
        var diskFull = StorageErrors.IsDiskFull(cause);
        if (diskFull)
        {
            // LiteDB's rollback may itself need to write: give it the reserve's space.
            _disk.Release();
            _reserveHeld = false;
        }
        try
        {
            _db.Rollback();
        }
#pragma warning disable CA1031 // A rollback that fails leaves LiteDB in an unknown state: stop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Stop(batch, new AggregateException(cause, ex));
            return;
        }
        LogBatchRolledBack(_logger, batch.Count, cause.GetType().Name, cause.Message);
        Answer(batch, diskFull
            ? new Rejection(Reasons.StorageFull, "The bank's disk filled up while storing the request; nothing was changed. Retry once space is freed.")
            : new Rejection(Reasons.StorageFailure, "The bank could not store the request; nothing was changed. Try again."));
    }

    private void Stop(IReadOnlyList<LedgerCommand> batch, Exception cause)
    {
        _fatal = cause;
        LogStopped(_logger, cause);
        Answer(batch, Stopped);
        while (_queue.TryTake(out var waiting))
        {
            waiting.Refuse(Stopped);
        }
        _onFatal(cause);
    }

    /// <summary>Checks the free-space floor, logging only when the answer changes.</summary>
    private bool HasRoomForWrites()
    {
        var room = _disk.HasRoomForWrites;
        if (room && _refusingForSpace)
        {
            LogSpaceReturned(_logger, _disk.FreeBytes / (1024 * 1024));
        }
        else if (!room && !_refusingForSpace)
        {
            LogStorageFull(_logger, _disk.FreeBytes / (1024 * 1024), _disk.MinFreeBytes / (1024 * 1024));
        }
        _refusingForSpace = !room;
        return room;
    }

    private static void Answer(IReadOnlyList<LedgerCommand> batch, Rejection rejection)
    {
        foreach (var command in batch)
        {
            command.Refuse(rejection);
        }
    }

    /// <summary>Deletes expired keys in a transaction of its own, under the same commit discipline as a batch.</summary>
    private void PruneExpiredKeys(long now)
    {
        if (now - _lastKeyPruneMs < 60_000 || !_disk.HasRoomForWrites)
        {
            return;
        }
        _lastKeyPruneMs = now;
        var cutoff = now - (long)_keyRetention.TotalMilliseconds;
        var removed = 0;
        var changes = new KeyLogChanges(_state.RecentKeys.LastChunk);
        if (!Transact([], () => removed = _db.IdempotencyKeys.DeleteMany(k => k.CreatedMs < cutoff) + _keys.PruneLog(cutoff, changes)))
        {
            return; // refused (retried a minute later) or stopped
        }
        _state.RecentKeys.Apply(changes);
        _state.IdempotencyKeys.Rotate(now);
        if (removed > 0)
        {
            LogKeysPruned(_logger, removed);
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {Count} ledger commands was rolled back before commit ({Error}: {Detail}); nothing was changed")]
    private static partial void LogBatchRolledBack(ILogger logger, int count, string error, string detail);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Storage failed at or after commit: the ledger writer has stopped and the bank is shutting down; restart it to recover from the file")]
    private static partial void LogStopped(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disk nearly full ({FreeMiB} MiB free, {MinMiB} MiB needed): refusing writes with STORAGE_FULL; reads continue")]
    private static partial void LogStorageFull(ILogger logger, long freeMiB, long minMiB);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disk space is back ({FreeMiB} MiB free): accepting writes again")]
    private static partial void LogSpaceReturned(ILogger logger, long freeMiB);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} expired idempotency keys")]
    private static partial void LogKeysPruned(ILogger logger, int count);
}
