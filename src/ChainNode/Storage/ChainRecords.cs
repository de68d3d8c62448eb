using System.Globalization;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Storage;

/// <summary>A block index entry as stored: enough to rebuild the tree at startup.</summary>
public sealed record StoredIndexEntry(BlockHeader Header, uint Height, long Sequence, BlockStatus Status, string InvalidReason);

/// <summary>How many unspent outputs and confirmed transactions the active chain holds: recorded with every tip change, checked at startup.</summary>
public readonly record struct StoreCounts(int Utxos, int Transactions);

/// <summary>
/// What the chain writes and reads, in its own terms; the LiteDB documents stay in this folder.
/// Each write is one transaction: all of it is stored, or none.
/// </summary>
public sealed partial class ChainStore
{
    public Block? LoadBlock(Hash256 hash)
    {
        var doc = Blocks.FindById(hash.ToString());
        return doc is null ? null : Block.Decode(doc.Bytes);
    }

    public Hash256? LoadTip() => Tip is { Length: > 0 } tip ? Hash256.Parse(tip) : null;

    public IEnumerable<StoredIndexEntry> LoadIndex() =>
        Index.FindAll().OrderBy(d => d.Height).ThenBy(d => d.Sequence)
            .Select(d => new StoredIndexEntry(BlockHeader.Decode(d.Header), (uint)d.Height, d.Sequence, (BlockStatus)d.Status, d.InvalidReason));

    public IEnumerable<(OutPoint OutPoint, UtxoEntry Entry)> LoadUtxos() => Utxos.FindAll().Select(FromDoc);

    public IEnumerable<(Hash256 Txid, Hash256 Block, uint Height, int Outputs)> LoadTxLocations() =>
        TxLocations.FindAll().Select(d => (Hash256.Parse(d.Id), Hash256.Parse(d.BlockHash), (uint)d.Height, d.OutputCount));

    public IEnumerable<(Hash256 Loser, Hash256 Winner)> LoadConflicts() =>
        Conflicts.FindAll().Select(d => (Hash256.Parse(d.Id), Hash256.Parse(d.WinnerTxid)));

    /// <summary>The counts of the last tip change, or null for a store written before they were recorded.</summary>
    public StoreCounts? LoadCounts() =>
        Meta.FindById("counts")?.Value.Split(' ') is [var utxos, var txs]
            ? new StoreCounts(int.Parse(utxos, CultureInfo.InvariantCulture), int.Parse(txs, CultureInfo.InvariantCulture))
            : null;

    private StoreCounts Counts
    {
        set => Meta.Upsert(new MetaDoc { Id = "counts", Value = string.Create(CultureInfo.InvariantCulture, $"{value.Utxos} {value.Transactions}") });
    }

    public void SaveGenesis(BlockIndexEntry entry, Block genesis)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(genesis);
        Atomically(() =>
        {
            Blocks.Upsert(new BlockDoc { Id = entry.Hash.ToString(), Bytes = genesis.Encode() });
            Index.Upsert(ToDoc(entry));
            Tip = entry.Hash.ToString();
            Counts = new StoreCounts(0, 0);
        });
    }

    public void SaveBlock(BlockIndexEntry entry, Block block)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(block);
        Atomically(() =>
        {
            Blocks.Upsert(new BlockDoc { Id = entry.Hash.ToString(), Bytes = block.Encode() });
            Index.Upsert(ToDoc(entry));
        });
    }

    /// <summary>A block joins the active chain: its UTXO changes, undo data, transaction locations and the new tip.</summary>
    public void SaveConnect(BlockIndexEntry entry, Block block, IEnumerable<(OutPoint OutPoint, UtxoEntry Entry)> spent,
        IEnumerable<(OutPoint OutPoint, UtxoEntry Entry)> created, bool firstTimeValid, StoreCounts counts)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(block);
        var spentList = spent.ToList();
        Atomically(() =>
        {
            foreach (var (outPoint, _) in spentList)
            {
                Utxos.Delete(outPoint.ToString());
            }
            foreach (var (outPoint, utxo) in created)
            {
                Utxos.Upsert(ToDoc(outPoint, utxo));
            }
            Undo.Upsert(new UndoDoc { Id = entry.Hash.ToString(), Spent = [.. spentList.Select(s => ToDoc(s.OutPoint, s.Entry))] });
            foreach (var tx in block.Transactions)
            {
                TxLocations.Upsert(new TxLocationDoc { Id = tx.Txid.ToString(), BlockHash = entry.Hash.ToString(), Height = (int)entry.Height, OutputCount = tx.Outputs.Count });
            }
            if (firstTimeValid)
            {
                var doc = ToDoc(entry);
                doc.Status = (int)BlockStatus.Valid;
                Index.Upsert(doc);
            }
            Tip = entry.Hash.ToString();
            Counts = counts;
        });
    }

    /// <summary>What a connected block spent, so disconnecting it can put those outputs back.</summary>
    public IReadOnlyList<(OutPoint OutPoint, UtxoEntry Entry)> LoadUndo(Hash256 block) =>
        Undo.FindById(block.ToString()) is { } undo
            ? [.. undo.Spent.Select(FromDoc)]
            : throw new InvalidOperationException($"Undo data of block {block} is missing.");

    /// <summary>
    /// The tip leaves the active chain: restore what it spent, then remove what it created (an
    /// output created and spent inside the block is restored and removed again, as it should be).
    /// </summary>
    public void SaveDisconnect(BlockIndexEntry entry, Block block, IReadOnlyList<(OutPoint OutPoint, UtxoEntry Entry)> spent, IReadOnlyList<OutPoint> created, StoreCounts counts)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(spent);
        ArgumentNullException.ThrowIfNull(created);
        Atomically(() =>
        {
            foreach (var (outPoint, utxo) in spent)
            {
                Utxos.Upsert(ToDoc(outPoint, utxo));
            }
            foreach (var outPoint in created)
            {
                Utxos.Delete(outPoint.ToString());
            }
            foreach (var tx in block.Transactions)
            {
                TxLocations.Delete(tx.Txid.ToString());
            }
            Undo.Delete(entry.Hash.ToString());
            Tip = entry.Parent!.Hash.ToString();
            Counts = counts;
        });
    }

    /// <summary>Blocks found invalid: the headers stay (so the hash is refused at once); the bodies are dead weight.</summary>
    public void SaveInvalid(IEnumerable<BlockIndexEntry> entries)
    {
        var list = entries.ToList();
        Atomically(() =>
        {
            foreach (var entry in list)
            {
                Index.Upsert(ToDoc(entry));
                Blocks.Delete(entry.Hash.ToString());
            }
        });
    }

    public void SaveConflicts(IEnumerable<(Hash256 Loser, Hash256 Winner)> conflicts)
    {
        var list = conflicts.ToList();
        Atomically(() =>
        {
            foreach (var (loser, winner) in list)
            {
                Conflicts.Upsert(new ConflictDoc { Id = loser.ToString(), WinnerTxid = winner.ToString() });
            }
        });
    }

    private static BlockIndexDoc ToDoc(BlockIndexEntry entry) => new()
    {
        Id = entry.Hash.ToString(),
        Header = entry.Header.Encode(),
        Height = (int)entry.Height,
        Sequence = entry.Sequence,
        Status = (int)entry.Status,
        InvalidReason = entry.InvalidReason,
    };

    private static UtxoDoc ToDoc(OutPoint outPoint, UtxoEntry entry) => new()
    {
        Id = outPoint.ToString(),
        Amount = entry.Amount.MinorUnits,
        PublicKey = entry.PublicKey,
        Height = (int)entry.Height,
        Coinbase = entry.Coinbase,
    };

    private static (OutPoint, UtxoEntry) FromDoc(UtxoDoc doc) =>
        (OutPoint.Parse(doc.Id), new UtxoEntry(Amount.FromMinorUnits(doc.Amount), doc.PublicKey, (uint)doc.Height, doc.Coinbase));
}
