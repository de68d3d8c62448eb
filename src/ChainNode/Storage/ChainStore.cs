using LedgerContrast.Shared.Storage;
using LiteDB;

namespace LedgerContrast.ChainNode.Storage;

/// <summary>
/// One LiteDB file per node. Written only by the node's chain thread (LiteDB transactions are
/// bound to the thread that began them); each block connect, disconnect or store is one
/// transaction, so a kill -9 leaves the node at its last committed tip.
/// </summary>
public sealed partial class ChainStore : IDisposable
{
    public const string FileName = "chain.db";
    private readonly LiteDatabase _db;
    private readonly IStorageFaultInjector? _faults;

    public ChainStore(string dataDirectory, IStorageFaultInjector? faults = null)
    {
        _faults = faults;
        Directory.CreateDirectory(dataDirectory);
        FilePath = Path.Combine(dataDirectory, FileName);
        // As in the bank: LiteDB's default mapper trims strings and turns "" into null.
        var mapper = new BsonMapper { EmptyStringToNull = false, TrimWhitespace = false };
        _db = new LiteDatabase(new ConnectionString { Filename = FilePath, Connection = ConnectionType.Direct }, mapper);
        Blocks = _db.GetCollection<BlockDoc>("blocks");
        Index = _db.GetCollection<BlockIndexDoc>("block_index");
        Utxos = _db.GetCollection<UtxoDoc>("utxos");
        Undo = _db.GetCollection<UndoDoc>("undo");
        TxLocations = _db.GetCollection<TxLocationDoc>("tx_locations");
        Conflicts = _db.GetCollection<ConflictDoc>("conflicts");
        Meta = _db.GetCollection<MetaDoc>("meta");
    }

    public string FilePath { get; }
    private ILiteCollection<BlockDoc> Blocks { get; }
    private ILiteCollection<BlockIndexDoc> Index { get; }
    private ILiteCollection<UtxoDoc> Utxos { get; }
    private ILiteCollection<UndoDoc> Undo { get; }
    private ILiteCollection<TxLocationDoc> TxLocations { get; }
    private ILiteCollection<ConflictDoc> Conflicts { get; }
    private ILiteCollection<MetaDoc> Meta { get; }

    private string? Tip
    {
        get => Meta.FindById("tip")?.Value;
        set => Meta.Upsert(new MetaDoc { Id = "tip", Value = value ?? "" });
    }

    /// <summary>
    /// Runs <paramref name="write"/> as one transaction: all of it is stored, or none. A failure
    /// here is not the caller's to handle: the chain's memory may already disagree with the
    /// file, so the node stops (<see cref="Node.NodeEngine"/>) and restarts from what is on disk.
    /// </summary>
    private void Atomically(Action write)
    {
        ArgumentNullException.ThrowIfNull(write);
        _db.BeginTrans();
        try
        {
            _faults?.Before(StorageStep.Write);
            write();
            _faults?.Before(StorageStep.Commit);
            _db.Commit();
        }
        catch
        {
            try
            {
                _db.Rollback();
            }
            catch (Exception rollback) when (rollback is LiteException or IOException)
            {
                // The node fail-stops on the first failure: report that one, not the rollback's.
            }
            throw;
        }
    }

    public void Dispose() => _db.Dispose();
}
