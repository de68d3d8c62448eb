using LedgerContrast.CentralBank.Audit;
using LedgerContrast.CentralBank.Storage;
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
    }
}
