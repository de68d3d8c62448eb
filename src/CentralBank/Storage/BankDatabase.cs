using LedgerContrast.Shared.Storage;
using LiteDB;
using Microsoft.Win32.SafeHandles;

namespace LedgerContrast.CentralBank.Storage;

/// <summary>
/// The bank's single LiteDB file. Only the ledger writer thread writes to it (LiteDB
/// transactions belong to the OS thread that began them, docs/ARCHITECTURE.md §4); any thread may read.
/// </summary>
public sealed class BankDatabase : IDisposable
{
    public const string FileName = "bank.db";
    public const string CashAccountId = "@cash";
    public const string WriteOffAccountId = "@write-off";

    /// <summary>The counter holding the last journal entry whose balances are in the account collection.</summary>
    public const string MaterializedCounter = "materialized";

    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly LiteDatabase _db;
    private readonly FileStream _dataFile;
    private readonly SafeFileHandle _dataHandle;
    private readonly RenamedLogStream _logFile;
    private readonly BsonMapper _mapper;
    private readonly IStorageFaultInjector? _faults;
    private readonly ILiteCollection<BsonDocument> _rawIdempotencyKeys;
    private readonly ILiteCollection<BsonDocument> _rawAccounts;
    private readonly ILiteCollection<BsonDocument> _keyLog;
    private bool _logFileProtected;

    /// <summary>LiteDB's own default: the log is copied into the data file once it holds this many 8 KiB pages.</summary>
    public const int DefaultCheckpointPages = 1000;

    public BankDatabase(string dataDirectory, IStorageFaultInjector? faults = null, int checkpointPages = DefaultCheckpointPages)
    {
        _faults = faults;
        CreateOwnerOnlyDirectory(dataDirectory);
        FilePath = Path.Combine(dataDirectory, FileName);
        LogFilePath = Path.Combine(dataDirectory, Path.GetFileNameWithoutExtension(FileName) + "-log" + Path.GetExtension(FileName));
        // LiteDB's default mapper trims strings and stores "" as null: either would change what the journal hashes.
        _mapper = new BsonMapper { EmptyStringToNull = false, TrimWhitespace = false };
        _dataFile = RenamedLogStream.Open(FilePath, FileMode.OpenOrCreate);
        _dataHandle = _dataFile.SafeFileHandle; // taken before LiteDB reads through the stream (the getter flushes it)
        try
        {
            _logFile = new RenamedLogStream(LogFilePath, _dataFile);
            _db = new LiteDatabase(_dataFile, _mapper, _logFile) { CheckpointSize = checkpointPages };
            RawEntries = _db.GetCollection("entries", BsonAutoId.Int64);
            Customers = _db.GetCollection<CustomerDoc>("customers");
            Accounts = _db.GetCollection<AccountDoc>("accounts");
            Entries = _db.GetCollection<EntryDoc>("entries", BsonAutoId.Int64);
            Reversals = _db.GetCollection<ReversalDoc>("reversals");
            IdempotencyKeys = _db.GetCollection<IdempotencyDoc>("idempotency_keys");
            _rawIdempotencyKeys = _db.GetCollection("idempotency_keys");
            _rawAccounts = _db.GetCollection("accounts");
            _keyLog = _db.GetCollection("idempotency_log", BsonAutoId.Int64);
            Counters = _db.GetCollection<CounterDoc>("counters");
            Customers.EnsureIndex(c => c.TokenHash, unique: true);
            IdempotencyKeys.EnsureIndex(k => k.CreatedMs);
            if (Counters.FindById(MaterializedCounter) is null)
            {
                // A bank from before materialization wrote balances with every batch: all of its
                // journal is materialized. A new bank has nothing yet.
                Counters.Insert(new CounterDoc { Id = MaterializedCounter, Value = LastEntry()?.Id ?? 0 });
            }
            foreach (var systemAccount in new[] { CashAccountId, WriteOffAccountId })
            {
                if (Accounts.FindById(systemAccount) is null)
                {
                    Accounts.Insert(new AccountDoc { Id = systemAccount, CustomerId = "", Balance = 0 });
                }
            }
            ProtectFiles();
        }
        catch
        {
            // Nothing half-open stays behind: the files are opened for this process alone.
            _db?.Dispose();
            _logFile?.Dispose();
            _dataFile.Dispose();
            throw;
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

    // The writer's hot path: documents built by DocumentCodec, not by reflection.
    public void InsertEntry(EntryDoc entry) => RawEntries.Insert(DocumentCodec.ToBson(entry));

    public void InsertKey(IdempotencyDoc key) => _rawIdempotencyKeys.Insert(DocumentCodec.ToBson(key));

    public void UpdateKey(IdempotencyDoc key) => _rawIdempotencyKeys.Update(DocumentCodec.ToBson(key));

    /// <summary>A key put where memory was short or its hash already taken: the indexed collection, found by the key itself.</summary>
    public void UpsertKey(IdempotencyDoc key) => _rawIdempotencyKeys.Upsert(DocumentCodec.ToBson(key));

    /// <summary>
    /// Appends a batch's key outcomes to the key log as chunk <paramref name="chunk"/> (the next
    /// after the last): an insert at the end of its one index, where a document per key, keyed by
    /// the key itself, lands at a random place in a growing index (measured: half of the writer's
    /// time per transfer).
    /// </summary>
    public void AppendKeyChunk(long chunk, long createdMs, IEnumerable<IdempotencyDoc> keys) =>
        _keyLog.Insert(DocumentCodec.ToKeyChunk(chunk, createdMs, keys));

    /// <summary>One stored outcome of the key log; only that record is decoded.</summary>
    public IdempotencyDoc? FindLoggedKey(long chunk, int slot) =>
        _keyLog.FindById(chunk) is { } document && slot < document["Keys"].AsArray.Count ? DocumentCodec.FromKeyChunk(document, slot) : null;

    /// <summary>Every stored outcome of one key log chunk, in slot order (for moving them elsewhere).</summary>
    public List<IdempotencyDoc> ReadKeyChunk(long chunk) =>
        _keyLog.FindById(chunk) is { } document ? [.. Enumerable.Range(0, document["Keys"].AsArray.Count).Select(slot => DocumentCodec.FromKeyChunk(document, slot))] : [];

    /// <summary>The key log from its oldest chunk, at most <paramref name="limit"/> chunks, in order: when each was written and its keys, outcomes not decoded.</summary>
    public IEnumerable<(long Chunk, long CreatedMs, List<string> Keys)> LoggedKeyChunks(int limit = int.MaxValue) =>
        _keyLog.Find(Query.All("_id", Query.Ascending), 0, limit).Select(d => (d["_id"].AsInt64, d["CreatedMs"].AsInt64, DocumentCodec.KeysOfChunk(d)));

    /// <summary>Drops the key log's chunks up to and including <paramref name="chunk"/>.</summary>
    public int DeleteKeyChunksThrough(long chunk) => _keyLog.DeleteMany(Query.LTE("_id", chunk));

    public void WriteAccount(AccountDoc account) => _rawAccounts.Upsert(DocumentCodec.ToBson(account));

    /// <summary>The last entry reflected in the account collection; later entries are replayed from the journal.</summary>
    public long MaterializedThrough() => Counters.FindById(MaterializedCounter)?.Value ?? 0;

    public void SetMaterializedThrough(long sequence) => Counters.Upsert(new CounterDoc { Id = MaterializedCounter, Value = sequence });

    public static bool IsSystemAccount(string accountId) => accountId.StartsWith('@');

    public bool BeginTransaction() => _db.BeginTrans();

    /// <summary>Called just before the commit: the last point where a failure leaves the file untouched.</summary>
    public void BeforeCommit() => _faults?.Before(StorageStep.Write);

    public bool Commit()
    {
        _faults?.Before(StorageStep.Commit);
        return _db.Commit();
    }

    public bool Rollback() => _db.Rollback();

    /// <summary>Makes everything committed so far survive an OS crash, not just a process kill.</summary>
    public void FlushToDisk()
    {
        _faults?.Before(StorageStep.Flush);
        // Through the descriptors held: a flush by path stats, opens and closes both files per batch.
        _logFile.FlushToDisk();
        RandomAccess.FlushToDisk(_dataHandle);
        if (!_logFileProtected)
        {
            ProtectFiles();
        }
    }

    /// <summary>Names, balances and token hashes are nobody else's business: the directory and files are owner-only.</summary>
    private static void CreateOwnerOnlyDirectory(string dataDirectory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dataDirectory);
            return;
        }
        Directory.CreateDirectory(dataDirectory, OwnerOnlyDirectory);
        File.SetUnixFileMode(dataDirectory, OwnerOnlyDirectory);
    }

    private void ProtectFiles()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        File.SetUnixFileMode(FilePath, OwnerOnlyFile);
        if (File.Exists(LogFilePath))
        {
            File.SetUnixFileMode(LogFilePath, OwnerOnlyFile);
            _logFileProtected = true;
        }
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

    /// <summary>
    /// Runs <paramref name="read"/> on the calling thread inside a read-only transaction whose
    /// snapshots of the journal, accounts and reversal index are all opened between two commits
    /// (LiteDB takes a snapshot per collection at first touch; the gate keeps a commit from
    /// landing between them), so the reader sees one committed state while the writer goes on.
    /// </summary>
    public T ReadSnapshot<T>(System.Threading.Lock commitGate, Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _db.BeginTrans();
        try
        {
            lock (commitGate)
            {
                _ = RawEntries.FindById(0);
                _ = Accounts.FindById("");
                _ = Reversals.FindById("");
                _ = Counters.FindById(""); // the materialization marker, from the same commit as the accounts
            }
            return read();
        }
        finally
        {
            _db.Rollback();
        }
    }

    public EntryDoc? LastEntry() => Entries.Query().OrderByDescending(e => e.Id).Limit(1).FirstOrDefault();

    public void Dispose()
    {
        try
        {
            _db.Dispose(); // checkpoints: may swap the log
        }
        finally
        {
            _logFile.Dispose();
            _dataFile.Dispose();
        }
    }
}
