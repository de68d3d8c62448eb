using System.Collections.Concurrent;
using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

public sealed record AccountView(string AccountId, string CustomerId, long Balance, long LastSequence = 0);

/// <summary>
/// The committed state, in memory: what reads are answered from. Only the writer thread changes
/// it, and only after a batch is durable, all at once under one lock, so a reader never sees
/// half a batch.
/// </summary>
public sealed class LedgerState
{
    private readonly Lock _publish = new();
    private readonly Dictionary<string, AccountView> _accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _customerByTokenHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _customerNames = new(StringComparer.Ordinal);

    private LedgerState(TimeSpan keyRetention, RecentKeys recentKeys, long materializedThrough, int materializeAfterEntries)
    {
        IdempotencyKeys = new KeyFilter(keyRetention);
        RecentKeys = recentKeys;
        Materialization = new Materialization(materializedThrough, materializeAfterEntries);
    }

    /// <summary>Every idempotency key of the indexed collection, so the writer looks up only keys that might be there.</summary>
    public KeyFilter IdempotencyKeys { get; }

    /// <summary>Where the key log's live keys are (the writer's).</summary>
    public RecentKeys RecentKeys { get; }

    /// <summary>Balances not yet written to the account collection (the writer's).</summary>
    public Materialization Materialization { get; }

    public long LastSequence { get; private set; }
    public string LastHash { get; private set; } = Audit.EntryHasher.GenesisHash;
    public long CustomerCounter { get; private set; }
    public long AccountCounter { get; private set; }

    public static LedgerState Load(BankDatabase db, TimeSpan keyRetention, RecentKeys? recentKeys = null, int materializeAfterEntries = Materialization.DefaultAfterEntries)
    {
        ArgumentNullException.ThrowIfNull(db);
        var state = new LedgerState(keyRetention, recentKeys ?? new RecentKeys(RecentKeys.DefaultCapacity), db.MaterializedThrough(), materializeAfterEntries);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var account in db.Accounts.FindAll())
        {
            state._accounts[account.Id] = new AccountView(account.Id, account.CustomerId, account.Balance, account.LastSequence);
        }
        foreach (var customer in db.Customers.FindAll())
        {
            state._customerByTokenHash[customer.TokenHash] = customer.Id;
            state._customerNames[customer.Id] = customer.Name;
        }
        foreach (var key in db.IdempotencyKeys.Query().Select(k => k.Id).ToEnumerable())
        {
            state.IdempotencyKeys.Add(key, now); // kept a full retention from now: late, never early
        }
        var cutoff = now - (long)keyRetention.TotalMilliseconds;
        foreach (var (chunk, createdMs, keys) in db.LoggedKeyChunks())
        {
            state.RecentKeys.NoteChunk(chunk);
            for (var slot = 0; slot < keys.Count && createdMs >= cutoff; slot++)
            {
                state.RecentKeys.Load(state.RecentKeys.Hash(keys[slot]), RecentKeys.Position(chunk, slot));
            }
        }
        var last = db.LastEntry();
        state.LastSequence = last?.Id ?? 0;
        state.LastHash = last?.Hash ?? Audit.EntryHasher.GenesisHash;
        state.ReplayAfterMaterialization(db);
        state.CustomerCounter = db.Counters.FindById("customer")?.Value ?? 0;
        state.AccountCounter = db.Counters.FindById("account")?.Value ?? 0;
        return state;
    }

    /// <summary>
    /// The journal after the materialization marker is the only durable record of those entries'
    /// balances: apply them, in order, skipping what an account's document already reflects (it
    /// was written up to its own newest entry), and keep them pending for materialization.
    /// </summary>
    private void ReplayAfterMaterialization(BankDatabase db)
    {
        foreach (var entry in db.Entries.Find(LiteDB.Query.GT("_id", Materialization.Through)).OrderBy(e => e.Id))
        {
            foreach (var posting in entry.Postings)
            {
                var account = _accounts.GetValueOrDefault(posting.AccountId)
                    ?? throw new IOException($"Journal entry {LedgerIds.Entry(entry.Id)} names account {posting.AccountId}, which does not exist; run `bank audit`.");
                if (entry.Id <= account.LastSequence)
                {
                    continue;
                }
                account = account with { Balance = account.Balance + posting.Amount, LastSequence = entry.Id };
                _accounts[account.AccountId] = account;
                Materialization.Replayed(account, entry.Id);
            }
        }
    }

    public AccountView? FindAccount(string accountId)
    {
        lock (_publish)
        {
            return _accounts.GetValueOrDefault(accountId);
        }
    }

    public string? CustomerByTokenHash(string tokenHash) => _customerByTokenHash.GetValueOrDefault(tokenHash);

    public bool CustomerExists(string customerId) => _customerNames.ContainsKey(customerId);

    internal void Publish(BatchContext batch)
    {
        lock (_publish)
        {
            foreach (var (id, account) in batch.Accounts)
            {
                _accounts[id] = account;
            }
            foreach (var (tokenHash, customerId, name) in batch.NewCustomers)
            {
                _customerByTokenHash[tokenHash] = customerId;
                _customerNames[customerId] = name;
            }
            LastSequence = batch.LastSequence;
            LastHash = batch.LastHash;
            CustomerCounter = batch.CustomerCounter;
            AccountCounter = batch.AccountCounter;
        }
    }
}
