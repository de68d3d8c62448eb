using LiteDB;

namespace LedgerContrast.CentralBank.Storage;

/// <summary>
/// The bank's single LiteDB file. Only the ledger writer thread writes to it (LiteDB
/// transactions belong to the OS thread that began them, DESIGN.md §3); any thread may read.
/// </summary>
public sealed class BankDatabase : IDisposable
{
    public const string FileName = "bank.db";
    public const string CashAccountId = "@cash";
    public const string WriteOffAccountId = "@write-off";

    private readonly LiteDatabase _db;
    private readonly BsonMapper _mapper;

    public BankDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        FilePath = Path.Combine(dataDirectory, FileName);
        LogFilePath = Path.Combine(dataDirectory, Path.GetFileNameWithoutExtension(FileName) + "-log" + Path.GetExtension(FileName));
        // LiteDB's default mapper trims strings and stores "" as null: either would change what the journal hashes.
        _mapper = new BsonMapper { EmptyStringToNull = false, TrimWhitespace = false };
        _db = new LiteDatabase(new ConnectionString { Filename = FilePath, Connection = ConnectionType.Direct }, _mapper);
        RawEntries = _db.GetCollection("entries", BsonAutoId.Int64);
        Customers = _db.GetCollection<CustomerDoc>("customers");
        Accounts = _db.GetCollection<AccountDoc>("accounts");
        Entries = _db.GetCollection<EntryDoc>("entries", BsonAutoId.Int64);
        Reversals = _db.GetCollection<ReversalDoc>("reversals");
        IdempotencyKeys = _db.GetCollection<IdempotencyDoc>("idempotency_keys");
        Counters = _db.GetCollection<CounterDoc>("counters");
        Customers.EnsureIndex(c => c.TokenHash, unique: true);
        IdempotencyKeys.EnsureIndex(k => k.CreatedMs);
        foreach (var systemAccount in new[] { CashAccountId, WriteOffAccountId })
        {
            if (Accounts.FindById(systemAccount) is null)
            {
                Accounts.Insert(new AccountDoc { Id = systemAccount, CustomerId = "", Balance = 0 });
            }
        }
    }

    public string FilePath { get; }
    public string LogFilePath { get; }
    public ILiteCollection<CustomerDoc> Customers { get; }
    public ILiteCollection<AccountDoc> Accounts { get; }
    public ILiteCollection<EntryDoc> Entries { get; }

    /// <summary>The journal as raw documents, for the audit: a tampered entry must be reported, not crash the reader.</summary>
    public ILiteCollection<BsonDocument> RawEntries { get; }
    public ILiteCollection<ReversalDoc> Reversals { get; }
    public ILiteCollection<IdempotencyDoc> IdempotencyKeys { get; }
    public ILiteCollection<CounterDoc> Counters { get; }

    public static bool IsSystemAccount(string accountId) => accountId.StartsWith('@');

    public bool BeginTransaction() => _db.BeginTrans();
    public bool Commit() => _db.Commit();
    public bool Rollback() => _db.Rollback();

    /// <summary>Makes everything committed so far survive an OS crash, not just a process kill.</summary>
    public void FlushToDisk()
    {
        DurableFlush.Flush(LogFilePath);
        DurableFlush.Flush(FilePath);
    }

    public long NextCounter(string name)
    {
        var counter = Counters.FindById(name) ?? new CounterDoc { Id = name };
        counter.Value++;
        Counters.Upsert(counter);
        return counter.Value;
    }

    public EntryDoc? TryReadEntry(BsonDocument raw)
    {
        try
        {
            return _mapper.ToObject<EntryDoc>(raw);
        }
        catch (Exception ex) when (ex is InvalidCastException or LiteException or FormatException or NullReferenceException or ArgumentException)
        {
            return null;
        }
    }

    public EntryDoc? LastEntry() => Entries.Query().OrderByDescending(e => e.Id).Limit(1).FirstOrDefault();

    public void Dispose() => _db.Dispose();
}
