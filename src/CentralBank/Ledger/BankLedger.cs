using LedgerContrast.Shared.Storage;
using LedgerContrast.CentralBank.Audit;
using LedgerContrast.CentralBank.Storage;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>The bank's ledger: the database, its committed in-memory state, and the one writer.</summary>
public sealed class BankLedger : IDisposable
{
    private readonly BankDatabase _db;
    private readonly LedgerWriter _writer;
    private readonly SemaphoreSlim _oneAuditAtATime = new(1, 1);
    private readonly CancellationTokenSource _stopped = new();

    private readonly ILedgerReplication? _replication;

    /// <param name="replication">Null for a single server; else the replication engine every write goes through.</param>
    public BankLedger(LedgerOptions options, ILogger logger, ILedgerReplication? replication = null)
    {
        _replication = replication;
        ArgumentNullException.ThrowIfNull(options);
        _db = new BankDatabase(options.DataDirectory, options.Faults, options.CheckpointPages);
        State = LedgerState.Load(_db, options.IdempotencyKeyRetention, new RecentKeys(options.MaxRecentKeys, options.KeyHash), options.MaterializeAfterEntries);
        var disk = new DiskSpaceGuard(options.DataDirectory, options.MinFreeBytes, options.ReserveBytes);
        _writer = new LedgerWriter(_db, State, disk, options.IdempotencyKeyRetention, logger, _ => _stopped.Cancel(), options.MaxQueuedCommands, replication);
    }

    public LedgerState State { get; }

    public long BatchesCommitted => _writer.BatchesCommitted;

    public int QueuedCommands => _writer.QueuedCommands;

    /// <summary>Whether the writer thread is taking commands (what the gRPC health check reports).</summary>
    public bool IsHealthy => _writer.IsRunning;

    /// <summary>The storage fault that stopped the ledger, if one did: the host must exit and be restarted.</summary>
    public Exception? Fatal => _writer.Fatal;

    /// <summary>Cancelled when a storage fault stops the writer.</summary>
    public CancellationToken Stopped => _stopped.Token;

    /// <summary>Whether this ledger is one replica of several.</summary>
    public bool IsReplicated => _replication is not null;

    /// <summary>The log index of the last replicated entry applied here (0 for a single server).</summary>
    public long AppliedIndex => _writer.AppliedIndex;

    /// <summary>Applies a committed log entry (the replication engine's state machine calls this, in log order).</summary>
    public void ApplyReplicated(long index, System.Buffers.ReadOnlySequence<byte> payload, object? context) =>
        _writer.ApplyReplicated(index, payload, context);

    /// <summary>
    /// Throws NOT_LEADER unless this ledger may take writes: a single server always may; a replica
    /// only while it leads. Checked before anything else, so a follower never judges a request on
    /// state that may lag.
    /// </summary>
    public void RequireWritable()
    {
        if (_replication?.RefuseWrites() is { } refusal)
        {
            throw new RejectionException(refusal);
        }
    }

    /// <summary>
    /// Makes a read linearizable: on a replica, waits until this leader has applied everything
    /// committed before the call (NOT_LEADER on a follower) unless <paramref name="staleOk"/>, which
    /// reads this replica's own state as it is.
    /// </summary>
    public async Task BeforeReadAsync(bool staleOk, CancellationToken cancellation)
    {
        if (_replication is null || staleOk)
        {
            return;
        }
        if (await _replication.ReadBarrierAsync(cancellation).ConfigureAwait(false) is { } refusal)
        {
            throw new RejectionException(refusal);
        }
    }

    /// <summary>Queues a command; the task completes once it is durable (or refused).</summary>
    public async Task<T> ExecuteAsync<T>(LedgerCommand<T> command) where T : class =>
        (await _writer.SubmitAsync(command).ConfigureAwait(false)).ValueOrThrow();

    /// <summary>
    /// Audits a snapshot of the committed ledger on a thread of its own, so transfers go on while
    /// it reads the journal. One audit at a time: it is the most expensive thing a caller can ask.
    /// </summary>
    public async Task<AuditReport> AuditAsync(JournalAnchor? expect = null)
    {
        await _oneAuditAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            return await Task.Factory.StartNew(
                () => _db.ReadSnapshot(_writer.CommitGate, () => LedgerAuditor.Run(_db, expect)),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            _oneAuditAtATime.Release();
        }
    }

    /// <summary>
    /// A page of an account's postings, newest first, from committed data only: follows the
    /// account's list through the journal from its newest entry, or from the entry before
    /// <paramref name="beforeSequence"/> (the last one of the previous page).
    /// </summary>
    public IReadOnlyList<AccountPosting> History(string accountId, long beforeSequence, int pageSize)
    {
        var page = new List<AccountPosting>(pageSize);
        var next = beforeSequence <= 0
            ? State.FindAccount(accountId)?.LastSequence ?? 0
            : _db.Entries.FindById(beforeSequence)?.Postings.FirstOrDefault(p => p.AccountId == accountId)?.Previous ?? 0;
        while (next > 0 && page.Count < pageSize)
        {
            var entry = _db.Entries.FindById(next);
            if (entry is null)
            {
                break;
            }
            page.Add(AccountPosting.Of(entry, accountId));
            next = entry.Postings.FirstOrDefault(p => p.AccountId == accountId)?.Previous ?? 0;
        }
        return page;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _db.Dispose();
        _oneAuditAtATime.Dispose();
        _stopped.Dispose();
    }
}
