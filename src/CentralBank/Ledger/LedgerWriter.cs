using System.Collections.Concurrent;
using LedgerContrast.CentralBank.Audit;
using LedgerContrast.CentralBank.Storage;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// The one thread that writes the ledger. It takes whatever commands are queued (up to
/// <see cref="MaxBatch"/>), runs them inside one LiteDB transaction, commits, fsyncs, then
/// publishes the new state and answers every caller: group commit. One writer makes
/// read-modify-write safe without locks, and LiteDB's thread-bound transactions never cross an
/// await (DESIGN.md §3).
/// </summary>
public sealed partial class LedgerWriter : IDisposable
{
    public const int MaxBatch = 1000;

    private readonly BankDatabase _db;
    private readonly LedgerState _state;
    private readonly TimeSpan _keyRetention;
    private readonly ILogger _logger;
    private readonly BlockingCollection<LedgerCommand> _queue = new(new ConcurrentQueue<LedgerCommand>());
    private readonly Thread _thread;
    private long _lastKeyPruneMs;

    public LedgerWriter(BankDatabase db, LedgerState state, TimeSpan keyRetention, ILogger logger)
    {
        _db = db;
        _state = state;
        _keyRetention = keyRetention;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "ledger-writer" };
        _thread.Start();
    }

    public long BatchesCommitted { get; private set; }

    public bool IsRunning => _thread.IsAlive && !_queue.IsAddingCompleted;

    public Task<object> SubmitAsync(LedgerCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        try
        {
            _queue.Add(command);
        }
        catch (InvalidOperationException)
        {
            command.Completion.TrySetResult(new Rejection(Reasons.ShuttingDown, "The bank is shutting down."));
        }
        return command.Completion.Task;
    }

    private void Run()
    {
        var batch = new List<LedgerCommand>(MaxBatch);
        foreach (var first in _queue.GetConsumingEnumerable())
        {
            var next = first;
            while (true)
            {
                if (next is AuditCommand audit)
                {
                    ExecuteBatch(batch);
                    batch.Clear();
                    RunAudit(audit);
                }
                else
                {
                    batch.Add(next);
                }
                if (batch.Count >= MaxBatch || !_queue.TryTake(out next!))
                {
                    break;
                }
            }
            ExecuteBatch(batch);
            batch.Clear();
            PruneExpiredKeys();
        }
    }

    private void RunAudit(AuditCommand command)
    {
        try
        {
            command.Completion.TrySetResult(LedgerAuditor.Run(_db));
        }
#pragma warning disable CA1031 // An audit that cannot read the file is reported to its caller, not fatal to the writer.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogAuditFailed(_logger, ex);
            command.Completion.TrySetResult(new Rejection(Reasons.StorageFailure, "The ledger file could not be read for the audit."));
        }
    }

    private void ExecuteBatch(List<LedgerCommand> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }
        var context = new BatchContext(_state);
        var results = new object[batch.Count];
        try
        {
            _db.BeginTransaction();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var executor = new CommandExecutor(_db, context, now, _keyRetention, _state.IdempotencyKeys);
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = executor.Execute(batch[i]);
            }
            executor.WriteBalances();
            _db.Commit();
            _db.FlushToDisk();
        }
#pragma warning disable CA1031 // A storage failure must fail this batch's callers, never kill the writer thread.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _db.Rollback();
            LogBatchFailed(_logger, batch.Count, ex);
            foreach (var command in batch)
            {
                command.Completion.TrySetResult(new Rejection(Reasons.StorageFailure, "The bank could not store the request; nothing was changed. Try again."));
            }
            return;
        }
        _state.Publish(context);
        BatchesCommitted++;
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }
    }

    private void PruneExpiredKeys()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (now - _lastKeyPruneMs < 60_000)
        {
            return;
        }
        _lastKeyPruneMs = now;
        var cutoff = now - (long)_keyRetention.TotalMilliseconds;
        var removed = _db.IdempotencyKeys.DeleteMany(k => k.CreatedMs < cutoff);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {Count} ledger commands failed to commit and was rolled back")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit could not read the ledger")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} expired idempotency keys")]
    private static partial void LogKeysPruned(ILogger logger, int count);
}
