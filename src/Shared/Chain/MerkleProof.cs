using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Chain;

/// <summary>
/// The path from one leaf of a block's merkle tree to its root (docs/PROTOCOL.md §4): the
/// leaf's index, how many leaves the tree has, and the sibling at each level where the node has
/// one — a node carried up alone (the last of an odd level) has none, and the leaf count is what
/// tells a verifier where that happens. A light client that holds only headers recomputes the
/// root from a transaction's wtxid and compares it with the header's.
/// </summary>
public sealed record MerkleProof(uint Index, uint LeafCount, IReadOnlyList<Hash256> Branch)
{
    /// <summary>More levels than a block can have (10,000 transactions need 14): a longer branch is refused unread.</summary>
    public const int MaxBranchLength = 32;

    /// <summary>The proof for leaf <paramref name="index"/> of <paramref name="leaves"/>.</summary>
    public static MerkleProof Build(IReadOnlyList<Hash256> leaves, int index)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, leaves.Count);
        var branch = new List<Hash256>();
        var level = leaves.ToList();
        var position = index;
        while (level.Count > 1)
        {
            var sibling = position ^ 1;
            if (sibling < level.Count)
            {
                branch.Add(level[sibling]);
            }
            var next = new List<Hash256>((level.Count + 1) / 2);
            for (var i = 0; i < level.Count; i += 2)
            {
                next.Add(i + 1 == level.Count ? level[i] : Pair(level[i], level[i + 1]));
            }
            level = next;
            position /= 2;
        }
        return new MerkleProof((uint)index, (uint)leaves.Count, branch);
    }

    /// <summary>
    /// The root this proof gives for <paramref name="leaf"/>, or null if the proof cannot be one
    /// of a tree with <see cref="LeafCount"/> leaves (index out of range, too few or too many siblings).
    /// </summary>
    public Hash256? RootFor(Hash256 leaf)
    {
        if (LeafCount == 0 || Index >= LeafCount || Branch.Count > MaxBranchLength)
        {
            return null;
        }
        var hash = leaf;
        var position = Index;
        var count = LeafCount;
        var used = 0;
        while (count > 1)
        {
            if (position % 2 == 1)
            {
                if (used == Branch.Count)
                {
                    return null;
                }
                hash = Pair(Branch[used++], hash);
            }
            else if (position + 1 < count)
            {
                if (used == Branch.Count)
                {
                    return null;
                }
                hash = Pair(hash, Branch[used++]);
            }
            position /= 2;
            count = (count + 1) / 2;
        }
        return used == Branch.Count ? hash : null;
    }

    private static Hash256 Pair(Hash256 left, Hash256 right) => Sha256Hasher.DoubleHashPair(left, right);
}
