using System.Diagnostics;

namespace LedgerContrast.TestSupport;

/// <summary>A program that is not ours (bash, pwsh, chromium) run to completion, and where such programs are found.</summary>
public static class ExternalProcess
{
    /// <summary>Runs <paramref name="fileName"/> and returns its exit code and everything it printed; fails at the deadline.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(10));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The first of <paramref name="names"/> found on PATH, or a failure saying what to install.</summary>
    public static string FindOnPath(string install, params string[] names) =>
        names.SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(dir => Path.Combine(dir, name))).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"No {names[0]} on PATH: {install}.");
}
