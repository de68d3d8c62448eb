using System.Diagnostics;
using System.Globalization;
using LedgerContrast.CentralBank.Security;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.CentralBank.Bench;

/// <summary>
/// The bank under test: a `bank serve` process of our own on a temp directory and a port it
/// chooses (its CPU time is then readable apart from the clients'), or an existing server.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly string? _dataDirectory;

    private BenchServer(string url, string adminToken, string description, Process? process, string? dataDirectory)
    {
        (Url, AdminToken, Description, _process, _dataDirectory) = (url, adminToken, description, process, dataDirectory);
    }

    public string Url { get; }
    public string AdminToken { get; }
    public string Description { get; }

    public static BenchServer External(string url, string adminToken) =>
        new(url.Contains("://", StringComparison.Ordinal) ? url : "http://" + url, adminToken, $"{url} (not started here; its CPU not measured)", null, null);

    public static async Task<BenchServer> StartAsync(CancellationToken cancellation)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "lc-bank-bench-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var self = Environment.ProcessPath ?? throw new CliException("BENCH_FAILED", "Cannot tell which executable this is, to start the bank.");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(BenchServer).Assembly.Location); // run as `dotnet bank.dll`
        }
        foreach (var argument in new[] { "serve", "--data", dataDirectory, "--port", "0" })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new CliException("BENCH_FAILED", "The bank server could not be started.");
        _ = process.StandardError.ReadToEndAsync(cancellation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
            {
                if (ServerHost.ListeningUrl(line) is { } url)
                {
                    _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                    var token = (await File.ReadAllTextAsync(Path.Combine(dataDirectory, Tokens.AdminTokenFile), cancellation).ConfigureAwait(false)).Trim();
                    return new BenchServer(url, token, $"bank serve, pid {process.Id}, started here", process, dataDirectory);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            // falls through to the failure below
        }
        process.Kill();
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        process.Dispose();
        TryDelete(dataDirectory);
        throw new CliException("BENCH_FAILED", "The bank server started for the bench did not say where it listens within 30 s.");
    }

    /// <summary>The server process's CPU time so far, or null for a server that is not ours.</summary>
    public TimeSpan? CpuTime()
    {
        if (_process is null)
        {
            return null;
        }
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>
    /// CPU time so far of the server's tiered JIT compiler thread, read from /proc (Linux), or null
    /// where it cannot be read (another OS, a server that is not ours).
    /// </summary>
    public TimeSpan? CompilerCpuTime() => _process is null ? null : CompilerCpuTime(_process.Id);

    /// <summary>The tiered JIT compiler thread's CPU time so far in process <paramref name="processId"/> (Linux), or null.</summary>
    public static TimeSpan? CompilerCpuTime(int processId)
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

    /// <summary>USER_HZ, the unit of /proc's CPU times: 100 on every Linux .NET runs on.</summary>
    private const int ClockTicksPerSecond = 100;

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            _process.Dispose();
        }
        if (_dataDirectory is not null)
        {
            TryDelete(_dataDirectory);
        }
    }

    public static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
