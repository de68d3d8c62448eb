using System.Numerics;
using LedgerContrast.Shared.Chain;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>
/// Retargets every block toward the configured interval from the time the last
/// <see cref="ChainParameters.RetargetWindow"/> blocks took, scaling the window's average target by actual/expected time and changing it by at most
/// <see cref="ChainParameters.MaxRetargetFactor"/> per block. Regtest never retargets.
/// </summary>
public static class Difficulty
{
    /// <param name="window">Headers of the last blocks, oldest first, ending with the parent of the new block.</param>
    public static uint NextBits(IReadOnlyList<BlockHeader> window, ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(parameters);
        var parent = window[^1];
        if (parameters.Regtest || window.Count < 2)
        {
            return parent.Bits;
        }
        var blocks = window.Count - 1;
        var actual = (long)(parent.TimeMs - window[0].TimeMs);
        var expected = (long)(parameters.BlockInterval.TotalMilliseconds * blocks);
        // Scale the window's average target, not the parent's: scaling the parent's would compound
        // every block while the window still remembers old, fast blocks, and overshoot.
        var average = BigInteger.Zero;
        for (var i = 1; i < window.Count; i++)
        {
            average += Target.FromCompact(window[i].Bits);
        }
        average /= blocks;
        var next = average * Math.Max(actual, 1) / expected;
        var parentTarget = Target.FromCompact(parent.Bits);
        var factor = parameters.MaxRetargetFactor;
        next = BigInteger.Min(BigInteger.Max(next, parentTarget / factor), parentTarget * factor);
        if (next > parameters.PowLimit)
        {
            next = parameters.PowLimit;
        }
        return Target.ToCompact(BigInteger.Max(next, BigInteger.One));
    }

    /// <summary>Difficulty for display only: how many times harder than the easiest (regtest) target.</summary>
    public static double ToDifficulty(uint bits, ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var target = Target.FromCompact(bits);
        return target.Sign == 0 ? 0 : Math.Exp(BigInteger.Log(parameters.PowLimit) - BigInteger.Log(target));
    }
}
