using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Chain;

/// <summary>
/// Merkle root over the wtxids (docs/PROTOCOL.md §4). An odd node at the end of a level is
/// carried up unchanged rather than paired with itself as Bitcoin does, so [a,b,c] and
/// [a,b,c,c] can't share a root (Bitcoin's CVE-2012-2459).
/// </summary>
public static class MerkleTree
{
    public static Hash256 ComputeRoot(IReadOnlyList<Hash256> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        if (leaves.Count == 0)
        {
            return Hash256.Zero;
        }
        var level = leaves.ToArray();
        var count = level.Length;
        Span<byte> left = stackalloc byte[Hash256.Size];
        Span<byte> right = stackalloc byte[Hash256.Size];
        Span<byte> parent = stackalloc byte[Hash256.Size];
        while (count > 1)
        {
            var next = 0;
            for (var i = 0; i < count; i += 2)
            {
                if (i + 1 == count)
                {
                    level[next++] = level[i];
                    continue;
                }
                level[i].WriteTo(left);
                level[i + 1].WriteTo(right);
                Sha256Hasher.DoubleHashPair(left, right, parent);
                level[next++] = new Hash256(parent);
            }
            count = next;
        }
        return level[0];
    }
}
