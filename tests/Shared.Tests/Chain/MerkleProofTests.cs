using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Tests.Chain;

/// <summary>An inclusion proof gives the tree's root for its leaf, for every size and position, and for nothing else.</summary>
public class MerkleProofTests
{
    private static Hash256[] Leaves(int count) => [.. Enumerable.Range(0, count).Select(i => Sha256Hasher.DoubleHash(BitConverter.GetBytes(i)))];

    [Fact]
    public void Every_leaf_of_every_tree_up_to_70_leaves_proves_the_root_and_its_branch_has_one_sibling_per_paired_level()
    {
        for (var count = 1; count <= 70; count++)
        {
            var leaves = Leaves(count);
            var root = MerkleTree.ComputeRoot(leaves);
            for (var index = 0; index < count; index++)
            {
                var proof = MerkleProof.Build(leaves, index);
                Assert.Equal(root, proof.RootFor(leaves[index]));
                Assert.True(proof.Branch.Count <= (int)Math.Ceiling(Math.Log2(count)), $"{proof.Branch.Count} siblings for {count} leaves");
            }
        }
    }

    [Fact]
    public void A_proof_gives_another_root_or_none_for_another_leaf_position_count_or_branch()
    {
        var leaves = Leaves(11);
        var root = MerkleTree.ComputeRoot(leaves);
        var proof = MerkleProof.Build(leaves, 6);

        Assert.NotEqual(root, proof.RootFor(leaves[5]));                                   // another transaction
        Assert.NotEqual(root, (proof with { Index = 7 }).RootFor(leaves[6]));                // another position
        Assert.NotEqual(root, (proof with { LeafCount = 7 }).RootFor(leaves[6]));            // another tree size
        Assert.Null((proof with { Index = 11 }).RootFor(leaves[6]));                         // no such position
        Assert.Null((proof with { Branch = [.. proof.Branch, root] }).RootFor(leaves[6]));  // a sibling too many
        Assert.Null((proof with { Branch = proof.Branch.Skip(1).ToList() }).RootFor(leaves[6])); // one too few
        Assert.Null((proof with { LeafCount = 0 }).RootFor(leaves[6]));
    }
}
