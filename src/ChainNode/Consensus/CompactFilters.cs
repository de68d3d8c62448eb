using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Filters;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>What a block's compact filter holds (PROTOCOL.md §9): the key of every output it creates and of every output it spends.</summary>
public static class CompactFilters
{
    public static BlockFilter Of(Block block, IEnumerable<UtxoEntry> spent)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(spent);
        return BlockFilter.Build(block.Hash, block.Transactions.SelectMany(t => t.Outputs).Select(o => o.PublicKey).Concat(spent.Select(s => (ReadOnlyMemory<byte>)s.PublicKey)));
    }

    /// <summary>The header of a block's filter given its parent's; genesis's parent header is 32 zero bytes.</summary>
    public static Hash256 HeaderOf(BlockFilter filter, BlockIndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(entry);
        var previous = entry.Parent is null ? Hash256.Zero
            : entry.Parent.FilterHeader ?? throw new InvalidOperationException($"Block {entry.Parent.Hash} has no filter header, yet {entry.Hash} builds on it.");
        return BlockFilter.NextHeader(filter.Hash, previous);
    }
}
