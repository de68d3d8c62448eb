using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LedgerContrast.TestSupport;

/// <summary>
/// A real executable of ours (`bank`, `chain`) run as a separate process with `dotnet X.dll`:
/// servers started on port 0 (the URL read from their "listening on" line) and one-shot CLI
/// verbs. Crash tests kill servers with SIGKILL. Every wait has a deadline.
/// </summary>
public sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _linesLock = new();
    private Task<string> _stderr = Task.FromResult("");

    private ServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Every stdout line the server printed so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_linesLock)
            {
                return [.. _lines];
            }
        }
    }

    /// <param name="fileDescriptorLimit">Runs the server under `prlimit --nofile=N:N` (Linux), as a host with few descriptors would.</param>
    public static async Task<ServerProcess> StartAsync(string dll, IEnumerable<string> args, Dictionary<string, string?>? environment = null, int? fileDescriptorLimit = null)
    {
        var process = Process.Start(Start(dll, args, environment ?? [], fileDescriptorLimit)) ?? throw new InvalidOperationException($"Could not start {dll}.");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token);
            if (line is null)
            {
                var error = await process.StandardError.ReadToEndAsync(deadline.Token);
                throw new InvalidOperationException($"{dll} exited before listening: {error}");
            }
            var match = ListeningLine().Match(line);
            if (match.Success)
            {
                var server = new ServerProcess(process, match.Groups[1].Value);
                server.Drain();
                return server;
            }
        }
    }

    /// <summary>Waits until a printed line matches, or fails after the deadline.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout, Func<Match, bool>? accept = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            var match = Lines.Select(l => pattern.Match(l)).LastOrDefault(m => m.Success && (accept?.Invoke(m) ?? true));
            if (match is not null)
            {
                return match;
            }
            if (HasExited)
            {
                throw new InvalidOperationException("The process exited while waiting for a line.");
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"No line matched {pattern} within {timeout.TotalSeconds} s.");
    }

    /// <summary>kill -9: no shutdown hooks, no flush, no goodbye.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit(30_000);
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string dll, IEnumerable<string> args, Dictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        using var process = Process.Start(Start(dll, args, environment ?? [])) ?? throw new InvalidOperationException($"Could not start {dll}.");
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // a verb that never ends must not outlive its test
            throw new TimeoutException($"{dll} {string.Join(' ', args)} did not exit in time.");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private void Drain()
    {
        // Keep reading so the child never blocks on a full pipe, and keep the lines for the test.
        _ = Task.Run(async () =>
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (_linesLock)
                {
                    _lines.Add(line);
                }
            }
        });
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    /// <summary>Waits for the server to exit by itself (e.g. a fail-stop), or fails after the deadline.</summary>
    public async Task<(int ExitCode, string Stderr)> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The process did not exit within {timeout.TotalSeconds} s.");
        }
        return (_process.ExitCode, await _stderr);
    }

    private static ProcessStartInfo Start(string dll, IEnumerable<string> args, Dictionary<string, string?> environment, int? fileDescriptorLimit = null)
    {
        var start = new ProcessStartInfo(fileDescriptorLimit is null ? "dotnet" : "prlimit")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (fileDescriptorLimit is { } limit)
        {
            start.ArgumentList.Add($"--nofile={limit}:{limit}");
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        return start;
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://[^\s,]+)")]
    private static partial Regex ListeningLine();
}
