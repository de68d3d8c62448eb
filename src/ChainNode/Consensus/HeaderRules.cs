using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>The rules that follow from a header's ancestry alone, for full nodes and light clients alike (PROTOCOL.md §8).</summary>
public static class HeaderRules
{
    /// <summary>The target bits the retarget rule gives the child of <paramref name="parent"/>, from the last <see cref="ChainParameters.RetargetWindow"/> headers.</summary>
    public static uint NextBits(BlockIndexEntry parent, ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(parameters);
        var window = new List<BlockHeader>(parameters.RetargetWindow + 1);
        for (var entry = parent; entry is not null && window.Count <= parameters.RetargetWindow; entry = entry.Parent)
        {
            window.Add(entry.Header);
        }
        window.Reverse();
        return Difficulty.NextBits(window, parameters);
    }

    /// <summary>The median time of <paramref name="entry"/> and the ones before it, up to <see cref="ChainParameters.MedianTimeSpan"/> (of fewer, the middle one; of an even count, the later of the two middle ones).</summary>
    public static ulong MedianTimePast(BlockIndexEntry entry, ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(parameters);
        var times = new List<ulong>(parameters.MedianTimeSpan);
        for (var e = entry; e is not null && times.Count < parameters.MedianTimeSpan; e = e.Parent)
        {
            times.Add(e.Header.TimeMs);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Block hashes of a chain (oldest first), tip first, ten one apart then exponentially spaced, ending at genesis (Bitcoin's block locator).</summary>
    public static List<Hash256> Locator(IReadOnlyList<BlockIndexEntry> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var hashes = new List<Hash256>();
        long step = 1;
        for (long height = chain.Count - 1; height > 0; height -= step)
        {
            hashes.Add(chain[(int)height].Hash);
            if (hashes.Count >= 10)
            {
                step *= 2;
            }
        }
        hashes.Add(chain[0].Hash);
        return hashes;
    }
}
