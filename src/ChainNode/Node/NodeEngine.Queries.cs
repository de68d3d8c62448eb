using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Mempool;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Filters;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Node;

/// <summary>Read-only questions about one node's chain and mempool, each answered under the state lock.</summary>
public sealed partial class NodeEngine
{
    /// <summary>Active-chain hashes, tip first, ten one apart then exponentially spaced, ending at genesis (Bitcoin's block locator).</summary>
    public IReadOnlyList<Hash256> Locator() => Read(node => HeaderRules.Locator(node.Chain.ActiveChain));

    /// <summary>What a peer with this locator lacks: active-chain hashes after the last one we share, oldest first.</summary>
    public IReadOnlyList<Hash256> BlocksAfter(IEnumerable<Hash256> locator, int max) => Read(node =>
        node.ActiveAfter(locator, max).Select(e => e.Hash).ToList());

    /// <summary>The headers of what a peer (or light client) with this locator lacks: active-chain headers after the last one we share, oldest first.</summary>
    public IReadOnlyList<BlockHeader> HeadersAfter(IEnumerable<Hash256> locator, int max) => Read(node =>
        node.ActiveAfter(locator, max).Select(e => e.Header).ToList());

    /// <summary>The active chain after the first locator hash on it (genesis if none is), at most <paramref name="max"/> entries.</summary>
    private IEnumerable<BlockIndexEntry> ActiveAfter(IEnumerable<Hash256> locator, int max)
    {
        var fork = locator.Select(Chain.Find).FirstOrDefault(e => e is not null && Chain.IsOnActiveChain(e)) ?? Chain.ActiveChain[0];
        return Chain.ActiveChain.Skip((int)fork.Height + 1).Take(max);
    }

    /// <summary>
    /// The transaction ids this node knows (pending, confirmed, conflicted) that start with
    /// <paramref name="hexPrefix"/>, at most <paramref name="limit"/>: a person types the short
    /// form the CLIs print, as git takes a commit's.
    /// </summary>
    public IReadOnlyList<Hash256> TxidsStartingWith(string hexPrefix, int limit) => Read(node =>
        (IReadOnlyList<Hash256>)[.. node.Pool.Entries.Select(e => e.Transaction.Txid).Concat(node.Chain.ConfirmedTxids).Concat(node.Chain.Conflicts.Keys).Concat(node.Pool.RefusedTxids)
            .Where(t => t.ToString().StartsWith(hexPrefix, StringComparison.Ordinal)).Distinct().Take(limit)]);

    /// <summary>The block hashes this node stores that start with <paramref name="hexPrefix"/>, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<Hash256> BlockHashesStartingWith(string hexPrefix, int limit) => Read(node =>
        (IReadOnlyList<Hash256>)[.. node.Chain.BlockHashes.Where(h => h.ToString().StartsWith(hexPrefix, StringComparison.Ordinal)).Take(limit)]);

    /// <summary>A confirmed transaction with the proof that its block's merkle root commits to it, or null if it is not on the active chain.</summary>
    public (Transaction Transaction, BlockIndexEntry Block, MerkleProof Proof)? ProveInclusion(Hash256 txid) => Read<(Transaction, BlockIndexEntry, MerkleProof)?>(node =>
    {
        if (node.Chain.FindTransaction(txid) is not { } location || node.Chain.Find(location.Block) is not { } entry || node.Chain.LoadBlock(location.Block) is not { } block)
        {
            return null;
        }
        var index = block.Transactions.ToList().FindIndex(t => t.Txid == txid);
        return (block.Transactions[index], entry, MerkleProof.Build([.. block.Transactions.Select(t => t.Wtxid)], index));
    });

    /// <summary>The compact filters of active-chain blocks from <paramref name="start"/> up, at most <paramref name="count"/>.</summary>
    public IReadOnlyList<(BlockIndexEntry Block, BlockFilter Filter)> Filters(uint start, int count) => Read(node =>
        (IReadOnlyList<(BlockIndexEntry, BlockFilter)>)[.. node.Chain.ActiveChain.Skip((int)Math.Min(start, int.MaxValue)).Take(count)
            .Select(e => (e, node.Chain.LoadFilter(e) ?? throw new InvalidOperationException($"Block {e.Hash} of the active chain has no stored filter.")))]);

    /// <summary>The filter headers of active-chain blocks from <paramref name="start"/> up (at most <paramref name="count"/>), and the one below them.</summary>
    public (Hash256 Previous, IReadOnlyList<BlockIndexEntry> Blocks) FilterHeaders(uint start, int count) => Read(node =>
    {
        var active = node.Chain.ActiveChain;
        var previous = start == 0 || start > active.Count ? Hash256.Zero : active[(int)start - 1].FilterHeader!.Value;
        return (previous, (IReadOnlyList<BlockIndexEntry>)[.. active.Skip((int)Math.Min(start, int.MaxValue)).Take(count)]);
    });

    public bool HasBlock(Hash256 hash) => Read(node => node.Chain.Find(hash) is not null);

    public bool KnowsTransaction(Hash256 txid) => Read(node =>
        node.Pool.Find(txid) is not null || node.Pool.RefusedConflict(txid) is not null || node.Chain.FindTransaction(txid) is not null || node.Chain.Conflicts.ContainsKey(txid));

    public Block? FindBlock(Hash256 hash) => Read(node => node.Chain.Find(hash) is null ? null : node.Chain.LoadBlock(hash));

    public (Block Block, BlockIndexEntry Entry)? FindBlockAtHeight(uint height) => Read(node =>
    {
        if (height >= node.Chain.ActiveChain.Count)
        {
            return ((Block, BlockIndexEntry)?)null;
        }
        var entry = node.Chain.ActiveChain[(int)height];
        return (node.Chain.LoadBlock(entry.Hash)!, entry);
    });

    public Transaction? FindTransaction(Hash256 txid) => Read(node =>
    {
        if (node.Pool.Find(txid) is { } pending)
        {
            return pending.Transaction;
        }
        if (node.Pool.RefusedTransaction(txid) is { } refused)
        {
            return refused;
        }
        if (node.Chain.FindTransaction(txid) is { } location)
        {
            return node.Chain.LoadBlock(location.Block)?.Transactions.FirstOrDefault(t => t.Txid == txid);
        }
        return node.Pool.LostTransaction(txid);
    });

    public IReadOnlyList<MempoolEntry> MempoolEntries() => Read(node => node.Pool.Entries.OrderBy(e => e.ReceivedMs).ToList());

    /// <summary>Confirmed outputs of a key (marked when a pending transaction spends them) and outputs of pending transactions to it.</summary>
    public IReadOnlyList<AddressCoin> CoinsOf(ReadOnlySpan<byte> publicKey)
    {
        var key = publicKey.ToArray();
        return Read(node =>
        {
            var nextHeight = node.Chain.Tip.Height + 1;
            var coins = node.Chain.Utxos.OwnedBy(key)
                .Select(p => new AddressCoin(p.OutPoint, p.Entry.Amount, p.Entry.Height, p.Entry.Coinbase,
                    !p.Entry.Coinbase || nextHeight - p.Entry.Height >= node.Parameters.CoinbaseMaturity, node.Pool.IsSpent(p.OutPoint)))
                .ToList();
            foreach (var entry in node.Pool.Entries)
            {
                for (var i = 0; i < entry.Transaction.Outputs.Count; i++)
                {
                    var outPoint = new OutPoint(entry.Txid, (uint)i);
                    if (entry.Transaction.Outputs[i].PublicKey.Span.SequenceEqual(key))
                    {
                        coins.Add(new AddressCoin(outPoint, entry.Transaction.Outputs[i].Amount, 0, false, true, node.Pool.IsSpent(outPoint)));
                    }
                }
            }
            return coins.OrderBy(c => c.Height == 0).ThenBy(c => c.Height).ToList();
        });
    }

    public AddressBalance BalanceOf(ReadOnlySpan<byte> publicKey)
    {
        var coins = CoinsOf(publicKey);
        var confirmed = coins.Where(c => c.Height > 0 && c.Mature).Aggregate(Amount.Zero, (sum, c) => sum + c.Amount);
        var immature = coins.Where(c => c.Height > 0 && !c.Mature).Aggregate(Amount.Zero, (sum, c) => sum + c.Amount);
        var incoming = coins.Where(c => c.Height == 0).Aggregate(Amount.Zero, (sum, c) => sum + c.Amount);
        var outgoing = coins.Where(c => c.SpentInMempool).Aggregate(Amount.Zero, (sum, c) => sum + c.Amount);
        return new AddressBalance(confirmed, incoming - outgoing, immature);
    }
}
