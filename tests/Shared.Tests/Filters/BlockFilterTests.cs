using System.Security.Cryptography;
using LedgerContrast.Shared.Filters;
using LedgerContrast.Shared.Hashing;
using Xunit.Abstractions;

namespace LedgerContrast.Shared.Tests.Filters;

/// <summary>The compact block filter (BIP-158's Golomb-coded set): members always match, non-members at about 1/M, and a malformed filter is refused.</summary>
public class BlockFilterTests(ITestOutputHelper output)
{
    private static readonly Hash256 s_block = Hash256.Parse("2122ef7bb32602b9aaf2c3b82d774ddf7e67ee276902bf80f3ec053c83cb2cad");

    [Fact]
    public void SipHash_2_4_gives_the_papers_vector()
    {
        Assert.Equal(0xa129ca6149be45e5UL, SipHash.Hash(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL, [.. Enumerable.Range(0, 15).Select(i => (byte)i)]));
        Assert.Equal(0x726fdb47dd0e0e31UL, SipHash.Hash(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL, []));
    }

    [Fact]
    public void Every_member_matches_and_a_million_non_members_match_at_BIP_158s_rate_of_one_in_M()
    {
        var members = Enumerable.Range(0, 20).Select(_ => RandomNumberGenerator.GetBytes(32)).ToList();
        var filter = BlockFilter.Decode(s_block, BlockFilter.Build(s_block, members).Encoded); // as a client receives it
        Assert.Equal(20, filter.Count);
        Assert.All(members, m => Assert.True(filter.MatchesAny([m])));
        Assert.True(filter.MatchesAny([RandomNumberGenerator.GetBytes(32), members[7], RandomNumberGenerator.GetBytes(32)]));

        const int queries = 1_000_000;
        var falsePositives = 0;
        var query = new byte[32];
        for (var i = 0; i < queries; i++)
        {
            RandomNumberGenerator.Fill(query);
            if (filter.MatchesAny([query]))
            {
                falsePositives++;
            }
        }
        var expected = queries / (double)BlockFilter.M;
        output.WriteLine($"{falsePositives} false positives in {queries:N0} non-members; 1/M predicts {expected:F2}");
        // Poisson(1.27): 8 or more has probability about 3e-5; a filter hashing onto too small a range (N instead of N·M) gives ~100,000.
        Assert.InRange(falsePositives, 0, 7);
    }

    [Fact]
    public void An_empty_set_matches_nothing_and_duplicates_count_once()
    {
        Assert.Equal([0x00], BlockFilter.Build(s_block, Array.Empty<byte[]>()).Encoded);
        Assert.False(BlockFilter.Build(s_block, Array.Empty<byte[]>()).MatchesAny([new byte[32]]));
        var key = new byte[32];
        Assert.Equal(1, BlockFilter.Build(s_block, [key, key.ToArray(), key]).Count);
    }

    [Theory]
    [InlineData("", "ends before its count")]
    [InlineData("fd0100", "shortest CompactSize")]
    [InlineData("fe41420f00", "cannot touch more than")]
    public void A_malformed_filter_is_refused_with_what_is_wrong(string hex, string message)
    {
        var refused = Assert.Throws<FormatException>(() => BlockFilter.Decode(s_block, Convert.FromHexString(hex)));
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_filter_whose_bits_end_early_is_refused_when_read()
    {
        var full = BlockFilter.Build(s_block, Enumerable.Range(0, 5).Select(_ => RandomNumberGenerator.GetBytes(32))).Encoded;
        var truncated = BlockFilter.Decode(s_block, full[..3]);
        Assert.Throws<FormatException>(() => truncated.MatchesAny([RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32)]));
    }
}
