using System.Buffers.Binary;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Mining;

/// <summary>
/// The proof-of-work inner loop: rewrite the nonce in place, double-SHA-256 the 88 header bytes
/// on this thread's reused hasher, compare with the target as big-endian bytes. No allocation
/// per hash; checks whether to give up every <see cref="CheckEvery"/> hashes (well under 10 ms).
/// </summary>
public static class NonceSearch
{
    public const int CheckEvery = 1024;

    public static byte[] TargetBytes(uint bits)
    {
        var target = Target.FromCompact(bits);
        var bytes = new byte[32];
        target.TryWriteBytes(bytes.AsSpan(32 - target.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return bytes;
    }

    /// <summary>Tries nonces start, start+stride, …; returns the first that meets the target, or null if told to stop.</summary>
    public static ulong? Search(BlockHeader header, ulong start, ulong stride, Func<bool> shouldStop, ref long hashes)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(shouldStop);
        Span<byte> bytes = stackalloc byte[BlockHeader.EncodedSize];
        header.WriteTo(bytes);
        ReadOnlySpan<byte> target = TargetBytes(header.Bits);
        Span<byte> digest = stackalloc byte[Hash256.Size];
        var nonceBytes = bytes[BlockHeader.NonceOffset..];
        var nonce = start;
        while (true)
        {
            for (var i = 0; i < CheckEvery; i++, nonce += stride)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(nonceBytes, nonce);
                Sha256Hasher.DoubleHash(bytes, digest);
                if (digest.SequenceCompareTo(target) <= 0)
                {
                    Interlocked.Add(ref hashes, i + 1);
                    return nonce;
                }
            }
            Interlocked.Add(ref hashes, CheckEvery);
            if (shouldStop())
            {
                return null;
            }
        }
    }

    /// <summary>Hashes a bare loop would do: the yardstick the miner's rate is reported against.</summary>
    public static double BareLoopRate(TimeSpan duration)
    {
        Span<byte> bytes = stackalloc byte[BlockHeader.EncodedSize];
        Span<byte> digest = stackalloc byte[Hash256.Size];
        long count = 0;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        while (stopwatch.Elapsed < duration)
        {
            for (var i = 0; i < CheckEvery; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes[BlockHeader.NonceOffset..], (ulong)(count + i));
                Sha256Hasher.DoubleHash(bytes, digest);
            }
            count += CheckEvery;
        }
        return count / stopwatch.Elapsed.TotalSeconds;
    }

}
