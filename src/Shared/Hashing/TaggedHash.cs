using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace LedgerContrast.Shared.Hashing;

/// <summary>
/// BIP-340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || msg). The tag separates domains,
/// so a signature over one kind of message can never be replayed as another.
/// </summary>
public static class TaggedHash
{
    /// <summary>Tag of the transaction signature message (docs/PROTOCOL.md §3).</summary>
    public const string SighashTag = "LedgerContrast/sighash";

    private static readonly ConcurrentDictionary<string, byte[]> s_prefixes = new(StringComparer.Ordinal);

    public static Hash256 Compute(string tag, ReadOnlySpan<byte> message)
    {
        Span<byte> digest = stackalloc byte[Sha256Hasher.HashSize];
        Compute(tag, message, digest);
        return new Hash256(digest);
    }

    public static void Compute(string tag, ReadOnlySpan<byte> message, Span<byte> destination)
    {
        var hasher = Sha256Hasher.Current;
        hasher.AppendData(Prefix(tag));
        hasher.AppendData(message);
        if (!hasher.TryGetHashAndReset(destination, out _))
        {
            throw new ArgumentException("Destination must hold 32 bytes.", nameof(destination));
        }
    }

    /// <summary>Tagged hash over several parts, as if they were concatenated.</summary>
    public static Hash256 Compute(string tag, ReadOnlySpan<byte> part1, ReadOnlySpan<byte> part2)
    {
        var hasher = Sha256Hasher.Current;
        hasher.AppendData(Prefix(tag));
        hasher.AppendData(part1);
        hasher.AppendData(part2);
        Span<byte> digest = stackalloc byte[Sha256Hasher.HashSize];
        hasher.TryGetHashAndReset(digest, out _);
        return new Hash256(digest);
    }

    private static byte[] Prefix(string tag) => s_prefixes.GetOrAdd(tag, static t =>
    {
        var tagHash = SHA256.HashData(Encoding.UTF8.GetBytes(t));
        return [.. tagHash, .. tagHash];
    });
}
