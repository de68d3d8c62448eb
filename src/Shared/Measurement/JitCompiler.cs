using System.Globalization;

namespace LedgerContrast.Shared.Measurement;

/// <summary>
/// The .NET tiered JIT compiler thread of a process, read from /proc: while it still takes a share
/// of the process's CPU, a measurement of that process measures its compilation too.
/// </summary>
public static class JitCompiler
{
    /// <summary>The compiler's share of its process's CPU over a slice of load below which the process counts as warm.</summary>
    public const double SettledShare = 0.03;

    /// <summary>The tiered JIT compiler thread's CPU time so far in process <paramref name="processId"/> (Linux), or null.</summary>
    public static TimeSpan? CpuTime(int processId)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            var ticks = 0L;
            var found = false;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{processId}/task"))
            {
                // "tid (comm) state …": utime and stime are the 14th and 15th fields; comm may hold spaces.
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var close = stat.LastIndexOf(')');
                if (close < 0 || !stat.AsSpan(0, close).Contains(CompilerThread, StringComparison.Ordinal))
                {
                    continue;
                }
                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                found = true;
            }
            return found ? TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null; // a thread that ended between listing and reading, or no /proc: not observable
        }
    }

    /// <summary>How .NET names the thread that compiles hot methods again, optimised (truncated to 15 characters by Linux).</summary>
    private const string CompilerThread = ".NET Tiered Com";

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1.0 / ClockTicksPerSecond);

    /// <summary>USER_HZ, the unit of /proc's CPU times: 100 on every Linux .NET runs on.</summary>
    private const int ClockTicksPerSecond = 100;

    /// <summary>
    /// Whether the compiler of every process read (<see cref="Read"/>) used under <paramref name="share"/>
    /// of that process's CPU between two readings (or at most two /proc ticks); true where it cannot be read.
    /// </summary>
    public static bool Settled(IReadOnlyList<(TimeSpan? Cpu, TimeSpan? Compiler)> before, IReadOnlyList<(TimeSpan? Cpu, TimeSpan? Compiler)> after, double share)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return before.Zip(after).All(pair => (pair.Second.Cpu - pair.First.Cpu, pair.Second.Compiler - pair.First.Compiler) switch
        {
            // /proc counts in 10 ms ticks: at light load 3% of a slice's CPU is under one tick, so two
            // ticks of compiling also count as settled.
            ({ } cpu, { } compiler) when cpu > TimeSpan.Zero => compiler / cpu < share || compiler <= 2 * Tick,
            _ => true,
        });
    }

    /// <summary>The largest share of its process's CPU any process's compiler used between two readings; null where none can be read.</summary>
    public static double? LargestShare(IReadOnlyList<(TimeSpan? Cpu, TimeSpan? Compiler)> before, IReadOnlyList<(TimeSpan? Cpu, TimeSpan? Compiler)> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var shares = before.Zip(after).Select(p => (p.Second.Cpu - p.First.Cpu, p.Second.Compiler - p.First.Compiler) switch
        {
            ({ } cpu, { } compiler) when cpu > TimeSpan.Zero => compiler / cpu,
            _ => (double?)null,
        }).Where(v => v is not null).ToList();
        return shares.Count == 0 ? null : shares.Max();
    }

    /// <summary>A process's total CPU time and its compiler's, or nulls where they cannot be read (it ended, another OS).</summary>
    public static (TimeSpan? Cpu, TimeSpan? Compiler) Read(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return (process.TotalProcessorTime, CpuTime(processId));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return (null, null);
        }
    }
}
