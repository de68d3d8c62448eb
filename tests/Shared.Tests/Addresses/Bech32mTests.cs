using LedgerContrast.Shared.Addresses;
using LedgerContrast.Shared.Crypto;

namespace LedgerContrast.Shared.Tests.Addresses;

/// <summary>BIP-350's bech32m test vectors, character for character, and the address rules on top.</summary>
public class Bech32mTests
{
    public static TheoryData<string> Valid() => new()
    {
        "A1LQFN3A",
        "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    };

    public static TheoryData<string, string> Invalid() => new()
    {
        { "\u00201xj0phk", "not printable" },
        { "\u007f1g6xzxy", "not printable" },
        { "\u00801vctc34", "not printable" },
        { "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4", "at most 90" },
        { "qyrz8wqd2c9m", "no '1'" },
        { "1qyrz8wqd2c9m", "empty prefix" },
        { "y1b0jsk6g", "'b', which is not a bech32 character" },
        { "lt1igcx5c0", "'i', which is not a bech32 character" },
        { "in1muywd", "too short" },
        { "mm1crxm3i", "'i', which is not a bech32 character" },
        { "au1s5cgom", "'o', which is not a bech32 character" },
        { "M1VUXWEZ", "checksum does not match" },
        { "16plkw9", "empty prefix" },
        { "1p2gdwpf", "empty prefix" },
        { "A12UEL5L", "checksum does not match" }, // BIP-173 bech32, not bech32m
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_vectors_decode_and_encode_back(string text)
    {
        Assert.True(Bech32m.TryDecode(text, out var hrp, out var data, out var error), error);
        Assert.Equal(text.ToLowerInvariant(), Bech32m.Encode(hrp, data));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_vectors_are_refused_with_the_reason(string text, string reason)
    {
        Assert.False(Bech32m.TryDecode(text, out _, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void The_documented_address_vector_matches()
    {
        // docs/PROTOCOL.md §6; reproduced independently with BIP-350's reference algorithm.
        var key = PublicKey.FromBytes(Convert.FromHexString("f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"));
        Assert.Equal("lc1qlycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmusggc25v", new Address(Address.MainHrp, key).ToString());
        Assert.Equal("lct1qlycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmus9creje", new Address(Address.TestHrp, key).ToString());
    }

    [Fact]
    public void An_address_round_trips_to_its_key()
    {
        using var key = PrivateKey.Generate();
        var text = new Address(Address.TestHrp, key.PublicKey).ToString();
        Assert.StartsWith("lct1q", text, StringComparison.Ordinal);
        Assert.Equal(key.PublicKey, Address.Parse(text, Address.TestHrp).PublicKey);
    }

    [Fact]
    public void Every_single_mistyped_character_is_refused()
    {
        using var key = PrivateKey.FromBytes(Convert.FromHexString("0000000000000000000000000000000000000000000000000000000000000003"));
        var text = new Address(Address.MainHrp, key.PublicKey).ToString();
        const string charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        for (var i = Address.MainHrp.Length + 1; i < text.Length; i++)
        {
            foreach (var c in charset)
            {
                if (c == text[i])
                {
                    continue;
                }
                var typo = string.Concat(text.AsSpan(0, i), c.ToString(), text.AsSpan(i + 1));
                Assert.False(Address.TryParse(typo, Address.MainHrp, out _, out var error), typo);
                Assert.Contains("checksum does not match", error);
            }
        }
    }

    [Fact]
    public void A_mistyped_address_gets_one_clear_sentence()
    {
        using var key = PrivateKey.Generate();
        var text = new Address(Address.MainHrp, key.PublicKey).ToString();
        var typo = text[..^1] + (text[^1] == 'q' ? 'p' : 'q');
        var error = Assert.Throws<FormatException>(() => Address.Parse(typo));
        Assert.Equal($"'{typo}' is not a valid address: The address checksum does not match: a character is mistyped.", error.Message);
    }

    [Fact]
    public void An_address_of_another_network_is_refused()
    {
        using var key = PrivateKey.Generate();
        var text = new Address(Address.TestHrp, key.PublicKey).ToString();
        var error = Assert.Throws<FormatException>(() => Address.Parse(text, Address.MainHrp));
        Assert.Contains("network prefix 'lct'", error.Message);
    }

    [Fact]
    public void A_bech32m_string_without_a_32_byte_key_is_not_an_address()
    {
        Assert.False(Address.TryParse("abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", null, out _, out var error));
        Assert.Contains("version", error);
    }
}
