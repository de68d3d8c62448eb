using System.Diagnostics;
using LedgerContrast.TestSupport;

namespace LedgerContrast.Contrast.Tests.EndToEnd;

/// <summary>run-network.ps1 as a person runs it (through the repository's local PowerShell tool), on a data directory of the test's own.</summary>
public static class RunNetworkScript
{
    public static readonly string RepositoryRoot = FindRepositoryRoot();

    public static async Task<(int ExitCode, string Output)> RunAsync(string dataDirectory, params string[] args)
    {
        // From the repository root: where the local tool manifest (PowerShell) is.
        var run = await ExternalProcess.RunAsync("dotnet", ["pwsh", "-NoProfile", "-File", Path.Combine(RepositoryRoot, "run-network.ps1"), "-DataDir", dataDirectory, .. args], RepositoryRoot);
        return (run.ExitCode, run.Stdout + run.Stderr);
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
