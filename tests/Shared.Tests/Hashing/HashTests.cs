using System.Numerics;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Tests.Hashing;

public class HashTests
{
    [Fact]
    public void Double_sha256_matches_the_known_value_of_the_empty_string()
    {
        Assert.Equal("5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456", Sha256Hasher.DoubleHash([]).ToString());
    }

    [Fact]
    public void Tagged_hash_is_sha256_of_twice_the_tag_hash_and_the_message()
    {
        // Reference computed with hashlib: sha256(sha256(tag) + sha256(tag) + b"").
        Assert.Equal("c216d352f5818b7b4beacd4ae0a26fe888080823d2a598856661bcd54f1b3713", TaggedHash.Compute("BIP0340/challenge", []).ToString());
        Assert.Equal(TaggedHash.Compute("t", [1, 2, 3]), TaggedHash.Compute("t", [1], [2, 3]));
        Assert.NotEqual(TaggedHash.Compute("t", [1, 2, 3]), TaggedHash.Compute("u", [1, 2, 3]));
    }

    [Fact]
    public void The_reused_hasher_does_not_allocate_per_hash()
    {
        var data = new byte[80];
        Span<byte> digest = stackalloc byte[32];
        Sha256Hasher.DoubleHash(data, digest); // warm the thread's hasher
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Sha256Hasher.DoubleHash(data, digest);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Hashes_parse_print_and_order_as_big_endian_numbers()
    {
        var small = Hash256.Parse("00000000000000000000000000000000000000000000000000000000000000ff");
        var large = Hash256.Parse("0100000000000000000000000000000000000000000000000000000000000000");
        Assert.True(small < large);
        Assert.Equal("00000000000000000000000000000000000000000000000000000000000000ff", small.ToString());
        var error = Assert.Throws<FormatException>(() => Hash256.Parse("xyz"));
        Assert.Contains("64 hexadecimal characters", error.Message);
    }

    [Theory]
    [InlineData(0x207fffffu)]
    [InlineData(0x1d00ffffu)]
    [InlineData(0x1f00ffffu)]
    public void Compact_targets_round_trip(uint bits)
    {
        Assert.Equal(bits, Target.ToCompact(Target.FromCompact(bits)));
    }

    [Fact]
    public void Work_is_two_to_the_256_over_target_plus_one()
    {
        Assert.Equal(new BigInteger(2), Target.Work(0x207fffff)); // regtest: target just under 2^255
        Assert.Equal((BigInteger.One << 256) / (Target.FromCompact(0x1d00ffff) + 1), Target.Work(0x1d00ffff));
        Assert.True(Target.Work(0x1d00ffff) > Target.Work(0x207fffff));
    }
}
