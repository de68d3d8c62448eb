using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>
/// What checking headers needs of a chain (<see cref="HeaderBranch"/>): the entries it holds and
/// the rules that follow from an entry's ancestry. A full node's <see cref="Blockchain"/> is one;
/// a light client's header chain, which holds headers only, is another.
/// </summary>
public interface IHeaderChain
{
    ChainParameters Parameters { get; }

    /// <summary>The entry of a block this chain holds (any status), or null.</summary>
    BlockIndexEntry? Find(Hash256 hash);

    /// <summary>The target bits the retarget rule gives the child of <paramref name="parent"/>.</summary>
    uint NextBits(BlockIndexEntry parent);

    /// <summary>The median time of <paramref name="entry"/> and the 10 before it.</summary>
    ulong MedianTimePast(BlockIndexEntry entry);

    /// <summary>Why a block with this hash was refused for its own fault, if this chain remembers.</summary>
    string? RejectedReason(Hash256 hash);
}
