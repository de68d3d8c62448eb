using System.Diagnostics.CodeAnalysis;
using NBitcoin.Secp256k1;

namespace LedgerContrast.Shared.Crypto;

/// <summary>A BIP-340 x-only public key (32 bytes). It is what an output pays to.</summary>
public sealed class PublicKey : IEquatable<PublicKey>
{
    public const int Size = 32;
    private readonly byte[] _bytes;

    internal PublicKey(ECXOnlyPubKey key, byte[] bytes)
    {
        Key = key;
        _bytes = bytes;
    }

    internal ECXOnlyPubKey Key { get; }

    public ReadOnlySpan<byte> Bytes => _bytes;

    public byte[] ToArray() => (byte[])_bytes.Clone();

    public static PublicKey FromBytes(ReadOnlySpan<byte> bytes) =>
        TryFromBytes(bytes, out var key, out var error) ? key : throw new FormatException(error);

    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out PublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (bytes.Length != Size)
        {
            error = $"A public key is exactly {Size} bytes, got {bytes.Length}.";
            return false;
        }
        if (!ECXOnlyPubKey.TryCreate(bytes, Context.Instance, out var parsed))
        {
            error = "The public key is not the x coordinate of a point on secp256k1.";
            return false;
        }
        key = new PublicKey(parsed, bytes.ToArray());
        error = null;
        return true;
    }

    /// <summary>Verifies a BIP-340 signature over a 32-byte message.</summary>
    public bool Verify(ReadOnlySpan<byte> message32, SchnorrSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        SchnorrSignature.EnsureMessageSize(message32);
        return Key.SigVerifyBIP340(signature.Signature, message32);
    }

    public override string ToString() => Convert.ToHexStringLower(_bytes);
    public bool Equals(PublicKey? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);
    public override bool Equals(object? obj) => Equals(obj as PublicKey);
    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);
}
