using System.Diagnostics;
using LedgerContrast.Shared.Cli;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// `--self-host`: a private network for one run — run-network.ps1 with its own data directory
/// and ports, stopped and deleted afterwards — so an experiment never disturbs a network
/// someone is exploring.
/// </summary>
public sealed class PrivateNetwork : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _directory;

    private PrivateNetwork(string root, string directory)
    {
        _root = root;
        _directory = directory;
    }

    public string NetworkFilePath => Path.Combine(_directory, "network.json");

    public static async Task<PrivateNetwork> StartAsync(Progress progress)
    {
        var root = FindRepositoryRoot();
        var directory = Path.Combine(Path.GetTempPath(), "lc-contrast-" + Guid.NewGuid().ToString("N"), ".network");
        var network = new PrivateNetwork(root, directory);
        var basePort = 20_000 + Random.Shared.Next(0, 200) * 20;
        progress.Step($"starting a private network (bank + 3 nodes, 2 s blocks) on ports {basePort}…{basePort + 3}");
        var (exit, output) = await network.RunScriptAsync("-BasePort", $"{basePort}", "-BlockInterval", "2s", "-CoinbaseMaturity", "3").ConfigureAwait(false);
        if (exit != 0)
        {
            throw new CliException("SELF_HOST_FAILED", $"The private network did not start: {output.Trim().Split('\n').LastOrDefault()}");
        }
        return network;
    }

    public async ValueTask DisposeAsync()
    {
        await RunScriptAsync("-Clean").ConfigureAwait(false);
        try
        {
            Directory.Delete(Path.GetDirectoryName(_directory)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<(int Exit, string Output)> RunScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Reuse the Release build when it is there; otherwise (e.g. contrast run from a Debug build) let the script build it.
        var built = File.Exists(Path.Combine(_root, "src/ChainNode/bin/Release/net10.0/chain.dll"))
            && File.Exists(Path.Combine(_root, "src/CentralBank/bin/Release/net10.0/bank.dll"));
        foreach (var arg in new[] { "pwsh", "-NoProfile", "-File", Path.Combine(_root, "run-network.ps1"), "-DataDir", _directory }.Concat(built ? ["-NoBuild"] : []).Concat(args))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new CliException("SELF_HOST_FAILED", "Could not run run-network.ps1.");
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "run-network.ps1")))
            {
                return dir.FullName;
            }
        }
        throw new CliException("NO_REPOSITORY", "--self-host needs the repository (run-network.ps1 and the built Release executables).");
    }
}
