using System.Globalization;

namespace LedgerContrast.Shared.Measurement;

/// <summary>
/// A measured rate (events per second over a run) with a 95% interval of the mean rate: the run is
/// cut into <see cref="Slices"/> equal slices, the events completed in each are counted, and the
/// slices' rates give a Student-t interval. It says how steady the rate was during the run on this
/// shared machine; it does not cover what another run, or another machine, would see.
/// </summary>
public readonly record struct RateEstimate(double PerSecond, double Low, double High, long Events, int Slices, double Seconds)
{
    /// <summary>Two-sided 95% Student-t quantiles for 1…30 degrees of freedom; 1.96 beyond.</summary>
    private static readonly double[] s_t975 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    public const int DefaultSlices = 10;

    /// <param name="completedAtSeconds">When each counted event completed, in seconds from the run's start.</param>
    /// <param name="seconds">The run's length.</param>
    /// <param name="slices">How many equal slices the run is cut into (at least 2).</param>
    public static RateEstimate FromCompletions(IReadOnlyCollection<double> completedAtSeconds, double seconds, int slices = DefaultSlices)
    {
        ArgumentNullException.ThrowIfNull(completedAtSeconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(slices, 2);
        if (seconds <= 0)
        {
            return new(0, 0, 0, completedAtSeconds.Count, slices, seconds);
        }
        var width = seconds / slices;
        var counts = new long[slices];
        foreach (var at in completedAtSeconds)
        {
            counts[Math.Clamp((int)(at / width), 0, slices - 1)]++;
        }
        var rates = counts.Select(c => c / width).ToArray();
        var mean = completedAtSeconds.Count / seconds;
        var variance = rates.Sum(r => (r - mean) * (r - mean)) / (slices - 1);
        var t = slices - 1 <= s_t975.Length ? s_t975[slices - 2] : 1.96;
        var half = t * Math.Sqrt(variance / slices);
        return new(mean, Math.Max(0, mean - half), mean + half, completedAtSeconds.Count, slices, seconds);
    }

    /// <summary>Whether the two intervals overlap: figures that do are not evidence of a difference.</summary>
    public bool Overlaps(RateEstimate other) => Low <= other.High && other.Low <= High;

    /// <summary>"2,437/s (95% CI 2,310–2,564; 10 slices of 0.4 s, 9,748 in all)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{PerSecond:N0}/s (95% CI {Low:N0}–{High:N0}; {Slices} slices of {Seconds / Slices:0.##} s, {Events:N0} in all)");
}
