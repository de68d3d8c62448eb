namespace LedgerContrast.Shared.Measurement;

/// <summary>Nearest-rank percentiles of measured latencies, as every benchmark and the lab report them.</summary>
public static class Percentiles
{
    /// <summary>Sorts once and returns each requested percentile (p in 0..1); zeros for no values.</summary>
    public static double[] Of(IEnumerable<double> values, params double[] ps)
    {
        ArgumentNullException.ThrowIfNull(ps);
        var sorted = values.Order().ToArray();
        return [.. ps.Select(p => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))])];
    }
}
