using System.Security.Cryptography;
using NBitcoin.Secp256k1;

namespace LedgerContrast.Shared.Crypto;

/// <summary>
/// A secp256k1 secret key. Caches its public key so signing takes the fast
/// <c>TrySignBIP340(msg, pubkey, …)</c> path (~2x faster than recomputing it, docs/ARCHITECTURE.md §4).
/// </summary>
public sealed class PrivateKey : IDisposable
{
    public const int Size = 32;
    private readonly ECPrivKey _key;
    private readonly ECPubKey _fullPublicKey;

    private PrivateKey(ECPrivKey key)
    {
        _key = key;
        _fullPublicKey = key.CreatePubKey();
        var xOnly = key.CreateXOnlyPubKey();
        var bytes = new byte[PublicKey.Size];
        xOnly.WriteToSpan(bytes);
        PublicKey = new PublicKey(xOnly, bytes);
    }

    public PublicKey PublicKey { get; }

    public static PrivateKey Generate()
    {
        Span<byte> secret = stackalloc byte[Size];
        while (true)
        {
            RandomNumberGenerator.Fill(secret);
            if (ECPrivKey.TryCreate(secret, Context.Instance, out var key) && key is not null)
            {
                secret.Clear();
                return new PrivateKey(key);
            }
        }
    }

    public static PrivateKey FromBytes(ReadOnlySpan<byte> secret)
    {
        if (secret.Length != Size)
        {
            throw new FormatException($"A secret key is exactly {Size} bytes, got {secret.Length}.");
        }
        if (!ECPrivKey.TryCreate(secret, Context.Instance, out var key) || key is null)
        {
            throw new FormatException("The secret key is zero or not below the curve order.");
        }
        return new PrivateKey(key);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        _key.WriteToSpan(bytes);
        return bytes;
    }

    /// <summary>Signs a 32-byte message with fresh random auxiliary data (BIP-340's recommendation).</summary>
    public SchnorrSignature Sign(ReadOnlySpan<byte> message32)
    {
        Span<byte> aux = stackalloc byte[32];
        RandomNumberGenerator.Fill(aux);
        return Sign(message32, aux);
    }

    /// <summary>Signs with caller-chosen auxiliary randomness; deterministic, as the BIP-340 vectors need.</summary>
    public SchnorrSignature Sign(ReadOnlySpan<byte> message32, ReadOnlySpan<byte> auxRand32)
    {
        SchnorrSignature.EnsureMessageSize(message32);
        if (auxRand32.Length != 32)
        {
            throw new ArgumentException("Auxiliary randomness must be 32 bytes.", nameof(auxRand32));
        }
        var nonce = new BIP340NonceFunction(auxRand32.ToArray());
        if (!_key.TrySignBIP340(message32, _fullPublicKey, nonce, out var signature) || signature is null)
        {
            throw new CryptographicException("BIP-340 signing failed.");
        }
        return SchnorrSignature.From(signature);
    }

    public void Dispose() => _key.Dispose();
}
