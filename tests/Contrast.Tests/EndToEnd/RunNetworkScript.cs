using System.Diagnostics;

namespace LedgerContrast.Contrast.Tests.EndToEnd;

/// <summary>run-network.ps1 as a person runs it (through the repository's local PowerShell tool), on a data directory of the test's own.</summary>
public static class RunNetworkScript
{
    public static readonly string RepositoryRoot = FindRepositoryRoot();

    public static async Task<(int ExitCode, string Output)> RunAsync(string dataDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryRoot, // where the local tool manifest (PowerShell) is
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "pwsh", "-NoProfile", "-File", Path.Combine(RepositoryRoot, "run-network.ps1"), "-DataDir", dataDirectory }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LedgerContrast.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cannot find the repository root (LedgerContrast.sln).");
    }
}
