using System.Globalization;
using System.Text.RegularExpressions;
using LedgerContrast.Shared.Cli;

namespace LedgerContrast.Contrast.Emulation;

/// <summary>
/// What every emulated link does to traffic: a bandwidth limit (tc tbf), a share of packets lost
/// (nftables, at the switch) and a one-way delay (netem where the kernel has it, else the nodes'
/// own --link-latency).
/// </summary>
/// <param name="BitsPerSecond">0: unlimited.</param>
public sealed partial record LinkShape(long BitsPerSecond, double Loss, TimeSpan Delay)
{
    public static readonly LinkShape Unlimited = new(0, 0, TimeSpan.Zero);

    /// <summary>Seconds <paramref name="bytes"/> take to cross one link at this bandwidth (0 when unlimited): a computed figure, not a measurement.</summary>
    public double SecondsFor(long bytes) => BitsPerSecond == 0 ? 0 : bytes * 8.0 / BitsPerSecond;

    public string BandwidthText => BitsPerSecond == 0 ? "" : FormatBits(BitsPerSecond);

    public string LossText => Loss == 0 ? "" : (Loss * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";

    public string DelayText => Delay == TimeSpan.Zero ? "" : Delay.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";

    public override string ToString()
    {
        var parts = new[] { BandwidthText, LossText == "" ? "" : LossText + " loss", DelayText == "" ? "" : DelayText + " delay" }.Where(p => p != "").ToList();
        return parts.Count == 0 ? "unlimited" : string.Join(", ", parts);
    }

    /// <summary>"10mbit", "500kbit", "1gbit", "1.5mbit" (as tc writes rates); "" or "0" for unlimited.</summary>
    public static long ParseBandwidth(string? text, string option = "--bandwidth")
    {
        var trimmed = (text ?? "").Trim().ToLowerInvariant();
        if (trimmed is "" or "0")
        {
            return 0;
        }
        var match = RateText().Match(trimmed);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new CliException("INVALID_ARGUMENT", $"{option} takes a rate such as 10mbit, 500kbit or 1gbit; '{text}' is not one.");
        }
        var bits = value * match.Groups[2].Value switch { "kbit" => 1e3, "mbit" => 1e6, _ => 1e9 };
        return bits is >= 8_000 and <= 10e9
            ? (long)bits
            : throw new CliException("INVALID_ARGUMENT", $"{option} takes a rate from 8kbit to 10gbit; '{text}' is outside it.");
    }

    /// <summary>"0.5%", "2%", "0"; at most 100%.</summary>
    public static double ParseLoss(string? text, string option = "--loss")
    {
        var trimmed = (text ?? "").Trim();
        if (trimmed is "" or "0")
        {
            return 0;
        }
        return trimmed.EndsWith('%') && double.TryParse(trimmed[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100
            ? percent / 100
            : throw new CliException("INVALID_ARGUMENT", $"{option} takes a share of packets from 0% to 100%, e.g. 0.5%; '{text}' is not one.");
    }

    /// <summary>"50ms", "1s", "0"; at most 10 s.</summary>
    public static TimeSpan ParseDelay(string? text, string option = "--delay")
    {
        var trimmed = (text ?? "").Trim();
        if (trimmed is "" or "0")
        {
            return TimeSpan.Zero;
        }
        var (number, scale) = trimmed.EndsWith("ms", StringComparison.Ordinal) ? (trimmed[..^2], 1.0) : trimmed.EndsWith('s') ? (trimmed[..^1], 1000.0) : (trimmed, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value * scale <= 10_000
            ? TimeSpan.FromMilliseconds(value * scale)
            : throw new CliException("INVALID_ARGUMENT", $"{option} takes a delay from 0 to 10s, e.g. 100ms; '{text}' is not one.");
    }

    public static LinkShape Parse(string? bandwidth, string? loss, string? delay) =>
        new(ParseBandwidth(bandwidth), ParseLoss(loss), ParseDelay(delay));

    /// <summary>An emulated network's links as network.json records them.</summary>
    public static LinkShape Of(Shared.Cli.NetworkFile.EmulatedLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return Parse(link.Bandwidth, link.Loss, link.Delay);
    }

    private static string FormatBits(long bits) =>
        bits % 1_000_000_000 == 0 ? $"{bits / 1_000_000_000}gbit"
        : bits % 1_000_000 == 0 ? $"{bits / 1_000_000}mbit"
        : bits % 1_000 == 0 ? $"{bits / 1_000}kbit"
        : $"{bits}bit";

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)(kbit|mbit|gbit)$")]
    private static partial Regex RateText();
}
