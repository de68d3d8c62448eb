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

    /// <param name="readOnly">Open the file for reading only (`chain verify`): every write then fails, and nothing about the file changes.</param>
    public ChainStore(string dataDirectory, IStorageFaultInjector? faults = null, bool readOnly = false)
    {
        _faults = faults;
        if (!readOnly)
        {
            Directory.CreateDirectory(dataDirectory);
        }
        FilePath = Path.Combine(dataDirectory, FileName);
        // As in the bank: LiteDB's default mapper trims strings and turns "" into null.
        var mapper = new BsonMapper { EmptyStringToNull = false, TrimWhitespace = false };
        // Keyed by height, and genesis is height 0: an int key of 0 must not be replaced by a generated one.
        mapper.Entity<ConnectedDoc>().Id(d => d.Id, autoId: false);
        _db = new LiteDatabase(new ConnectionString { Filename = FilePath, Connection = ConnectionType.Direct, ReadOnly = readOnly }, mapper);
        Blocks = _db.GetCollection<BlockDoc>("blocks");
        Index = _db.GetCollection<BlockIndexDoc>("block_index");
        Utxos = _db.GetCollection<UtxoDoc>("utxos");
        Connected = _db.GetCollection<ConnectedDoc>("connected");
        Conflicts = _db.GetCollection<ConflictDoc>("conflicts");
        if (_db.CollectionExists("tx_locations"))
        {
            _db.Dispose();
            throw new InvalidOperationException($"The chain store {FilePath} was written by an earlier release (one document per confirmed transaction); "
                + "this one keeps one per block. Move the data directory away (run-network.ps1 -Clean does) and let the node resync from its peers.");
        }
    }

    public string FilePath { get; }
    private ILiteCollection<BlockDoc> Blocks { get; }
    private ILiteCollection<BlockIndexDoc> Index { get; }
    private ILiteCollection<UtxoDoc> Utxos { get; }
    private ILiteCollection<ConnectedDoc> Connected { get; }
    private ILiteCollection<ConflictDoc> Conflicts { get; }

    /// <summary>
    /// Runs <paramref name="write"/> as one transaction (or as part of the enclosing
    /// <see cref="InOneTransaction"/>): all of it is stored, or none. A failure
    /// here is not the caller's to handle: the chain's memory may already disagree with the
    /// file, so the node stops (<see cref="Node.NodeEngine"/>) and restarts from what is on disk.
    /// </summary>
    private void Atomically(Action write)
    {
        ArgumentNullException.ThrowIfNull(write);
        InOneTransaction(() =>
        {
            _faults?.Before(StorageStep.Write);
            write();
        });
    }

    /// <summary>
    /// Runs many steps (e.g. a catch-up batch of blocks, each stored and connected) as one
    /// transaction: a commit costs pages written whatever it holds, so a batch of small blocks
    /// pays it once. Steps inside an enclosing call are part of its transaction, not committed
    /// one by one: a failure loses the batch, and the node (which fail-stops on it) restarts
    /// from the tip before it.
    /// </summary>
    public void InOneTransaction(Action steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (_inTransaction)
        {
            steps();
            return;
        }
        _db.BeginTrans();
        _inTransaction = true;
        try
        {
            steps();
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
        finally
        {
            _inTransaction = false;
        }
    }

    private bool _inTransaction;

    public void Dispose() => _db.Dispose();
}
