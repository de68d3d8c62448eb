namespace LedgerContrast.Shared.Measurement;

/// <summary>The 1-, 5- and 15-minute load averages (Linux /proc/loadavg), or null where there are none.</summary>
public static class MachineLoad
{
    public static double[]? Now()
    {
        try
        {
            return [.. File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture))];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
