using LedgerContrast.Shared.Crypto;

namespace LedgerContrast.Shared.Tests.Crypto;

/// <summary>Every row of BIP-340's official test-vectors.csv, embedded as TestData.</summary>
public class Bip340VectorTests
{
    public sealed record Vector(int Index, string SecretKey, string PublicKey, string AuxRand, string Message, string Signature, bool Valid, string Comment)
    {
        public override string ToString() => $"#{Index} {Comment}";
    }

    public static TheoryData<Vector> Vectors()
    {
        var data = new TheoryData<Vector>();
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "bip340-test-vectors.csv")).Skip(1))
        {
            var f = line.Split(',', 8);
            data.Add(new Vector(int.Parse(f[0]), f[1], f[2], f[3], f[4], f[5], f[6] == "TRUE", f[7]));
        }
        return data;
    }

    [Fact]
    public void The_embedded_file_holds_all_nineteen_official_rows()
    {
        Assert.Equal(Enumerable.Range(0, 19), Vectors().Cast<object[]>().Select(row => ((Vector)row[0]).Index));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Signing_reproduces_the_official_signature(Vector v)
    {
        if (v.SecretKey.Length == 0)
        {
            return; // verification-only row: nothing to sign
        }
        using var key = PrivateKey.FromBytes(Convert.FromHexString(v.SecretKey));
        Assert.Equal(v.PublicKey, Convert.ToHexString(key.PublicKey.Bytes));
        var message = Convert.FromHexString(v.Message);
        if (message.Length != SchnorrSignature.MessageSize)
        {
            // Rows 15-18 sign messages of 0, 1, 17 and 100 bytes (BIP-340's 2022 extension).
            // Every message this project signs is a 32-byte hash; the API refuses others by name.
            var error = Assert.Throws<ArgumentException>(() => key.Sign(message, Convert.FromHexString(v.AuxRand)));
            Assert.Contains("exactly 32 bytes", error.Message);
            return;
        }
        var signature = key.Sign(message, Convert.FromHexString(v.AuxRand));
        Assert.Equal(v.Signature, Convert.ToHexString(signature.Bytes));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Verification_gives_the_official_result(Vector v)
    {
        var message = Convert.FromHexString(v.Message);
        if (message.Length != SchnorrSignature.MessageSize)
        {
            Assert.True(PublicKey.TryFromBytes(Convert.FromHexString(v.PublicKey), out var key, out _));
            Assert.True(SchnorrSignature.TryFromBytes(Convert.FromHexString(v.Signature), out var sig, out _));
            Assert.Throws<ArgumentException>(() => key.Verify(message, sig));
            return;
        }
        Assert.Equal(v.Valid, Verify(v.PublicKey, v.Signature, message));
    }

    [Fact]
    public void A_signature_with_one_flipped_bit_is_rejected()
    {
        using var key = PrivateKey.Generate();
        var message = new byte[32];
        message[0] = 42;
        var signature = key.Sign(message).ToArray();
        Assert.True(key.PublicKey.Verify(message, SchnorrSignature.FromBytes(signature)));

        for (var bit = 0; bit < 64 * 8; bit += 37)
        {
            var tampered = (byte[])signature.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            var valid = SchnorrSignature.TryFromBytes(tampered, out var parsed, out _) && key.PublicKey.Verify(message, parsed);
            Assert.False(valid, $"flipping bit {bit} still verified");
        }
    }

    [Fact]
    public void A_signature_by_another_key_is_rejected()
    {
        using var signer = PrivateKey.Generate();
        using var other = PrivateKey.Generate();
        var message = new byte[32];
        Assert.False(other.PublicKey.Verify(message, signer.Sign(message)));
    }

    [Fact]
    public void Malformed_signature_bytes_get_a_clear_error()
    {
        var error = Assert.Throws<FormatException>(() => SchnorrSignature.FromBytes(new byte[63]));
        Assert.Equal("A signature is exactly 64 bytes, got 63.", error.Message);
    }

    private static bool Verify(string publicKeyHex, string signatureHex, byte[] message) =>
        PublicKey.TryFromBytes(Convert.FromHexString(publicKeyHex), out var key, out _)
        && SchnorrSignature.TryFromBytes(Convert.FromHexString(signatureHex), out var signature, out _)
        && key.Verify(message, signature);
}
