using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LedgerContrast.CentralBank.Tests.Harness;

/// <summary>
/// The real `bank` executable as a separate process: `bank serve` on port 0 (its URL read from
/// its first line), and one-shot CLI verbs. Crash tests kill it with SIGKILL.
/// </summary>
public sealed partial class BankProcess : IDisposable
{
    private static readonly string s_bankDll = Path.Combine(AppContext.BaseDirectory, "bank.dll");
    private readonly Process _process;

    private BankProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static async Task<BankProcess> StartAsync(string dataDirectory, string adminToken)
    {
        var start = Start(["serve", "--port", "0", "--data", dataDirectory], new() { ["BANK_ADMIN_TOKEN"] = adminToken });
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start bank serve.");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token);
            if (line is null)
            {
                var error = await process.StandardError.ReadToEndAsync(deadline.Token);
                throw new InvalidOperationException($"bank serve exited before listening: {error}");
            }
            var match = ListeningLine().Match(line);
            if (match.Success)
            {
                // Keep draining output so the child never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                return new BankProcess(process, match.Groups[1].Value);
            }
        }
    }

    /// <summary>kill -9: no shutdown hooks, no flush, no goodbye.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(IEnumerable<string> args, Dictionary<string, string?>? environment = null)
    {
        using var process = Process.Start(Start(args, environment ?? [])) ?? throw new InvalidOperationException("Could not start bank.");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static ProcessStartInfo Start(IEnumerable<string> args, Dictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(s_bankDll);
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
        if (!_process.HasExited)
        {
            KillHard();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://[^\s,]+)")]
    private static partial Regex ListeningLine();
}
