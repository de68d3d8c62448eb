using System.Diagnostics.CodeAnalysis;
using NBitcoin.Secp256k1;

namespace LedgerContrast.Shared.Crypto;

/// <summary>A 64-byte BIP-340 Schnorr signature (R.x || s).</summary>
public sealed class SchnorrSignature
{
    public const int Size = 64;
    public const int MessageSize = 32;
    private readonly byte[] _bytes;

    private SchnorrSignature(SecpSchnorrSignature signature, byte[] bytes)
    {
        Signature = signature;
        _bytes = bytes;
    }

    internal SecpSchnorrSignature Signature { get; }

    public ReadOnlySpan<byte> Bytes => _bytes;

    public byte[] ToArray() => (byte[])_bytes.Clone();

    internal static SchnorrSignature From(SecpSchnorrSignature signature)
    {
        var bytes = new byte[Size];
        signature.WriteToSpan(bytes);
        return new SchnorrSignature(signature, bytes);
    }

    public static SchnorrSignature FromBytes(ReadOnlySpan<byte> bytes) =>
        TryFromBytes(bytes, out var signature, out var error) ? signature : throw new FormatException(error);

    /// <summary>
    /// Parses the 64 bytes. An r that is not below the field size or an s that is not below the
    /// curve order can never verify, so it is refused here already.
    /// </summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out SchnorrSignature? signature, [NotNullWhen(false)] out string? error)
    {
        signature = null;
        if (bytes.Length != Size)
        {
            error = $"A signature is exactly {Size} bytes, got {bytes.Length}.";
            return false;
        }
        if (!SecpSchnorrSignature.TryCreate(bytes, out var parsed) || parsed is null)
        {
            error = "The signature is malformed: r must be below the field size and s below the curve order.";
            return false;
        }
        signature = new SchnorrSignature(parsed, bytes.ToArray());
        error = null;
        return true;
    }

    /// <summary>
    /// Every message this project signs is a 32-byte tagged hash; BIP-340's variable-length
    /// extension is not supported by NBitcoin.Secp256k1 and not needed, so it is refused loudly.
    /// </summary>
    internal static void EnsureMessageSize(ReadOnlySpan<byte> message)
    {
        if (message.Length != MessageSize)
        {
            throw new ArgumentException($"A signed message must be exactly {MessageSize} bytes (a hash), got {message.Length}.", nameof(message));
        }
    }

    public override string ToString() => Convert.ToHexStringLower(_bytes);
}
