using LedgerContrast.Shared.Filters;
using System.Globalization;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Storage;

/// <summary>
/// What the chain writes and reads, in its own terms; the LiteDB documents stay in this folder.
/// Each write is one transaction: all of it is stored, or none.
/// </summary>
public sealed partial class ChainStore
{
    public Block? LoadBlock(uint height, Hash256 hash)
    {
        var doc = Blocks.FindById(BlockKey(height, hash));
        return doc is null ? null : Block.Decode(doc.Bytes);
    }

    /// <summary>
    /// Blocks and index entries are keyed by height, then hash: a growing chain appends at the
    /// end of their indexes instead of inserting at random places (hashes are random), which
    /// kept LiteDB reading index pages back from disk as the file grew. The node always knows a
    /// block's height (its index is in memory) when it reads one.
    /// </summary>
    private static string BlockKey(uint height, Hash256 hash) => string.Create(CultureInfo.InvariantCulture, $"{height:x8}{hash}");

    /// <summary>The active chain's last block: the connected record with the greatest height.</summary>
    public Hash256? LoadTip() => TipRecord() is { } tip ? Hash256.Parse(tip.Hash) : null;

    private ConnectedDoc? TipRecord() => Connected.Query().OrderByDescending(d => d.Id).Limit(1).FirstOrDefault();

    public IEnumerable<StoredIndexEntry> LoadIndex() =>
        Index.FindAll().OrderBy(d => d.Height).ThenBy(d => d.Sequence)
            .Select(d => new StoredIndexEntry(BlockHeader.Decode(d.Header), (uint)d.Height, d.Sequence, (BlockStatus)d.Status, d.InvalidReason));

    public IEnumerable<(OutPoint OutPoint, UtxoEntry Entry)> LoadUtxos() => Utxos.FindAll().Select(FromDoc);

    /// <summary>
    /// One read of every connected block's record at startup: its confirmed transactions (id and
    /// output count) and the filter header recorded for it (empty where an earlier release wrote none).
    /// </summary>
    public IEnumerable<ConnectedRecord> LoadConnected()
    {
        foreach (var doc in Connected.FindAll())
        {
            var transactions = new (Hash256 Txid, int Outputs)[doc.OutputCounts.Count];
            for (var i = 0; i < transactions.Length; i++)
            {
                transactions[i] = (new Hash256(doc.Txids.AsSpan(i * Hash256.Size, Hash256.Size)), doc.OutputCounts[i]);
            }
            yield return new ConnectedRecord((uint)doc.Id, Hash256.Parse(doc.Hash), transactions, doc.FilterHeader.Length == Hash256.Size ? new Hash256(doc.FilterHeader) : null);
        }
    }

    public IEnumerable<(Hash256 Loser, Hash256 Winner)> LoadConflicts() =>
        Conflicts.FindAll().Select(d => (Hash256.Parse(d.Id), Hash256.Parse(d.WinnerTxid)));

    /// <summary>The counts of the last tip change.</summary>
    public StoreCounts? LoadCounts() => TipRecord() is { } tip ? new StoreCounts(tip.Utxos, tip.Transactions) : null;

    public void SaveGenesis(BlockIndexEntry entry, Block genesis, BlockFilter filter)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(genesis);
        ArgumentNullException.ThrowIfNull(filter);
        Atomically(() =>
        {
            Blocks.Upsert(new BlockDoc { Id = BlockKey(entry.Height, entry.Hash), Bytes = genesis.Encode() });
            Index.Upsert(ToDoc(entry));
            // Its coinbase is never spendable, never indexed; its output key is in its filter all the same.
            Connected.Upsert(new ConnectedDoc { Id = 0, Hash = entry.Hash.ToString(), Filter = filter.Encoded, FilterHeader = entry.FilterHeader!.Value.ToArray() });
        });
    }

    public void SaveBlock(BlockIndexEntry entry, Block block)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(block);
        Atomically(() =>
        {
            // Inserts, not upserts: a block is stored once (its index entry stays even if its body is
            // found invalid), and an insert skips the lookup an upsert makes first.
            Blocks.Insert(new BlockDoc { Id = BlockKey(entry.Height, entry.Hash), Bytes = block.Encode() });
            Index.Insert(ToDoc(entry));
        });
    }

    /// <summary>A block joins the active chain: its UTXO changes and its connected record (undo data, txids, counts; the new tip).</summary>
    public void SaveConnect(BlockIndexEntry entry, Block block, IEnumerable<(OutPoint OutPoint, UtxoEntry Entry)> spent,
        IEnumerable<(OutPoint OutPoint, UtxoEntry Entry)> created, StoreCounts counts, BlockFilter filter, Hash256 filterHeader)
    {
        ArgumentNullException.ThrowIfNull(filter);
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
                Utxos.Insert(ToDoc(outPoint, utxo)); // an output is created once on a chain: disconnecting removes it first
            }
            var txids = new byte[block.Transactions.Count * Hash256.Size];
            for (var i = 0; i < block.Transactions.Count; i++)
            {
                block.Transactions[i].Txid.WriteTo(txids.AsSpan(i * Hash256.Size));
            }
            Connected.Insert(new ConnectedDoc
            {
                Id = (int)entry.Height,
                Hash = entry.Hash.ToString(),
                Spent = [.. spentList.Select(s => ToDoc(s.OutPoint, s.Entry))],
                Txids = txids,
                OutputCounts = [.. block.Transactions.Select(t => t.Outputs.Count)],
                Utxos = counts.Utxos,
                Transactions = counts.Transactions,
                Filter = filter.Encoded,
                FilterHeader = filterHeader.ToArray(),
            });
        });
    }

    /// <summary>The compact filter of the active chain's block at <paramref name="height"/>, if it is <paramref name="hash"/>.</summary>
    public BlockFilter? LoadFilter(uint height, Hash256 hash) =>
        Connected.FindById((int)height) is { Filter.Length: > 0 } doc && doc.Hash == hash.ToString() ? BlockFilter.Decode(hash, doc.Filter) : null;

    /// <summary>Filters rebuilt for records an earlier release wrote without them, in one transaction.</summary>
    public void SaveFilters(IReadOnlyList<(BlockIndexEntry Entry, BlockFilter Filter)> filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        Atomically(() =>
        {
            foreach (var (entry, filter) in filters)
            {
                var doc = Connected.FindById((int)entry.Height);
                doc.Filter = filter.Encoded;
                doc.FilterHeader = entry.FilterHeader!.Value.ToArray();
                Connected.Update(doc);
            }
        });
    }

    /// <summary>What a connected block spent, so disconnecting it can put those outputs back.</summary>
    public IReadOnlyList<(OutPoint OutPoint, UtxoEntry Entry)> LoadUndo(BlockIndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Connected.FindById((int)entry.Height) is { } doc && doc.Hash == entry.Hash.ToString()
            ? [.. doc.Spent.Select(FromDoc)]
            : throw new InvalidOperationException($"Undo data of block {entry.Hash} is missing.");
    }

    /// <summary>
    /// The tip leaves the active chain: restore what it spent, then remove what it created (an
    /// output created and spent inside the block is restored and removed again, as it should be).
    /// </summary>
    public void SaveDisconnect(BlockIndexEntry entry, IReadOnlyList<(OutPoint OutPoint, UtxoEntry Entry)> spent, IReadOnlyList<OutPoint> created)
    {
        ArgumentNullException.ThrowIfNull(entry);
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
            // The parent's record is the tip again, with the counts it recorded when it became the tip.
            Connected.Delete((int)entry.Height);
            // A block of the active chain is valid by being there, so connecting it writes no status;
            // leaving the chain is when its index entry must say it was (startup returns its payments to the mempool).
            Index.Update(ToDoc(entry));
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
                Blocks.Delete(BlockKey(entry.Height, entry.Hash));
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
        Id = BlockKey(entry.Height, entry.Hash),
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
