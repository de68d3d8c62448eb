using LedgerContrast.CentralBank.Audit;
using LedgerContrast.CentralBank.Storage;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>The bank's ledger: the database, its committed in-memory state, and the one writer.</summary>
public sealed class BankLedger : IDisposable
{
    private readonly BankDatabase _db;
    private readonly LedgerWriter _writer;

    public BankLedger(string dataDirectory, TimeSpan idempotencyKeyRetention, ILogger logger)
    {
        _db = new BankDatabase(dataDirectory);
        State = LedgerState.Load(_db);
        _writer = new LedgerWriter(_db, State, idempotencyKeyRetention, logger);
    }

    public LedgerState State { get; }

    public long BatchesCommitted => _writer.BatchesCommitted;

    /// <summary>Whether the writer thread is taking commands (what the gRPC health check reports).</summary>
    public bool IsHealthy => _writer.IsRunning;

    /// <summary>Queues a command; the task completes once it is durable (or refused).</summary>
    public async Task<T> ExecuteAsync<T>(LedgerCommand command)
    {
        var outcome = await _writer.SubmitAsync(command).ConfigureAwait(false);
        return outcome switch
        {
            T result => result,
            Rejection rejection => throw new RejectionException(rejection.Reason, rejection.Message),
            _ => throw new InvalidOperationException($"Unexpected ledger outcome {outcome.GetType().Name}."),
        };
    }

    public Task<AuditReport> AuditAsync() => ExecuteAsync<AuditReport>(new AuditCommand());

    /// <summary>A page of an account's postings, newest first, read from committed data only.</summary>
    public IReadOnlyList<AccountPosting> History(string accountId, long beforeSequence, int pageSize)
    {
        var before = beforeSequence <= 0 ? long.MaxValue : beforeSequence;
        return _db.Entries.Query()
            .Where(BsonExpression.Create("$.Postings[*].AccountId ANY = @0", accountId))
            .Where(e => e.Id < before)
            .OrderByDescending(e => e.Id)
            .Limit(pageSize)
            .ToEnumerable()
            .Select(entry => AccountPosting.Of(entry, accountId))
            .ToList();
    }

    public void Dispose()
    {
        _writer.Dispose();
        _db.Dispose();
    }
}
