using System.Numerics;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Chain;

/// <summary>
/// Proof-of-work targets in Bitcoin's compact "bits" form (docs/PROTOCOL.md §5): a block is
/// valid when its hash, read as a big-endian 256-bit number, is at most the target.
/// </summary>
public static class Target
{
    public static readonly BigInteger Max = (BigInteger.One << 256) - 1;

    public static BigInteger FromCompact(uint bits)
    {
        var exponent = (int)(bits >> 24);
        var mantissa = bits & 0x007fffff;
        if ((bits & 0x00800000) != 0 || mantissa == 0)
        {
            return BigInteger.Zero;
        }
        return exponent <= 3
            ? new BigInteger(mantissa >> (8 * (3 - exponent)))
            : new BigInteger(mantissa) << (8 * (exponent - 3));
    }

    public static uint ToCompact(BigInteger target)
    {
        if (target.Sign <= 0)
        {
            return 0;
        }
        if (target > Max)
        {
            target = Max;
        }
        var size = target.GetByteCount(isUnsigned: true);
        uint mantissa = size <= 3
            ? (uint)(target << (8 * (3 - size)))
            : (uint)(target >> (8 * (size - 3)));
        if ((mantissa & 0x00800000) != 0)
        {
            mantissa >>= 8;
            size++;
        }
        return ((uint)size << 24) | mantissa;
    }

    public static BigInteger HashAsNumber(Hash256 hash) => new(hash.ToArray(), isUnsigned: true, isBigEndian: true);

    public static bool MeetsTarget(Hash256 hash, BigInteger target) => HashAsNumber(hash) <= target;

    /// <summary>Expected number of hashes to find a block at this target: 2^256 / (target + 1).</summary>
    public static BigInteger Work(uint bits)
    {
        var target = FromCompact(bits);
        return target.Sign <= 0 ? BigInteger.Zero : (BigInteger.One << 256) / (target + 1);
    }
}
