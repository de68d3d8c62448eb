using System.Globalization;

namespace LedgerContrast.Shared.Measurement;

/// <summary>
/// A measured proportion (<see cref="Count"/> of <see cref="Samples"/>) with its 95% Wilson score
/// interval: unlike the normal approximation it stays inside [0, 1] and says something at 0 of 30.
/// </summary>
public readonly record struct Proportion(int Count, int Samples, double Low, double High)
{
    private const double Z = 1.959963984540054;

    public double Value => Samples == 0 ? 0 : Count / (double)Samples;

    public static Proportion Of(int count, int samples)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, samples);
        if (samples == 0)
        {
            return new(0, 0, 0, 1);
        }
        double n = samples;
        var p = count / n;
        var z2 = Z * Z;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = Z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        // At 0 and n the bounds are 0 and 1 exactly; rounding must not put them a hair off.
        return new(count, samples, count == 0 ? 0 : Math.Max(0, centre - half), count == samples ? 1 : Math.Min(1, centre + half));
    }

    /// <summary>Whether <paramref name="value"/> lies within the interval.</summary>
    public bool Contains(double value) => value >= Low && value <= High;

    /// <summary>"12.5% (6 of 48; 95% CI 5.9–24.7%)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Value * 100:0.#}% ({Count} of {Samples}; 95% CI {Low * 100:0.#}–{High * 100:0.#}%)");
}
