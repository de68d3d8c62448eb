using System.Diagnostics;
using System.Text.RegularExpressions;
using LedgerContrast.TestSupport;

namespace LedgerContrast.Contrast.Tests.EndToEnd;

/// <summary>
/// README's "Try the bank" and "Try the chain" sections, run line by line by bash exactly as
/// written (only TXID is filled in with the txid `send` printed, and the bench lines are left
/// out): a newcomer's paste works, and what it starts it stops.
/// </summary>
public sealed partial class ReadmeTryTests : IDisposable
{
    private readonly string _directory = Directory.CreateDirectory(TempDirectory.NewPath("lc-try-")).FullName;

    [Fact]
    public async Task The_readme_try_sections_run_as_written_and_stop_what_they_start()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RunNetworkScript.RepositoryRoot, "README.md"));
        // `bank` and `chain` here run the builds beside this test (./bank and ./chain would build
        // Release first, racing the other tests' run-network builds).
        var bin = Directory.CreateDirectory(Path.Combine(_directory, "bin")).FullName;
        foreach (var cli in new[] { "bank", "chain" })
        {
            var wrapper = Path.Combine(bin, cli);
            await File.WriteAllTextAsync(wrapper, $"#!/usr/bin/env bash\nexec dotnet \"{Path.Combine(AppContext.BaseDirectory, cli + ".dll")}\" \"$@\"\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        var script = new List<string> { "set -e", $"PATH=\"{bin}:$PATH\"" };
        foreach (Match section in TrySection().Matches(readme))
        {
            foreach (var line in section.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.Contains(" bench", StringComparison.Ordinal))
                {
                    continue;
                }
                // ./bank and ./chain run from the repository root; here, `bank` and `chain` from PATH.
                var command = line.Replace("./bank", "bank", StringComparison.Ordinal).Replace("./chain", "chain", StringComparison.Ordinal).Replace("TXID", "$TXID", StringComparison.Ordinal);
                script.Add(command.Contains("chain send", StringComparison.Ordinal)
                    ? $"TXID=$({command.Split('#')[0].Trim()} --json | sed -n 's/.*\"txid\": \"\\([0-9a-f]*\\)\".*/\\1/p')"
                    : command);
            }
        }
        Assert.True(script.Count > 20, "README has no Try sections");
        await File.WriteAllLinesAsync(Path.Combine(_directory, "try.sh"), script);

        var bash = await ExternalProcess.RunAsync("bash", ["try.sh"], _directory, TimeSpan.FromMinutes(4));
        var output = bash.Stdout + bash.Stderr;

        Assert.True(bash.ExitCode == 0, $"README's Try lines failed (exit {bash.ExitCode}):\n{output}");
        Assert.Contains("Transferred 12.5 from acc-1 to acc-2", output, StringComparison.Ordinal);
        Assert.Contains("Audit passed", output, StringComparison.Ordinal);
        Assert.Contains("acc-1 now holds 75", output, StringComparison.Ordinal); // the replicated bank's deposit after a replica was killed
        Assert.DoesNotContain("New tip at height", output, StringComparison.Ordinal); // the background servers log to files, not into the reader's terminal
        Assert.Contains("(1 confirmation)", output, StringComparison.Ordinal);
        Assert.Contains("Connected to 127.0.0.1:7301", output, StringComparison.Ordinal);
        await Poll.UntilAsync(() => ServersIn(_directory).Count == 0, TimeSpan.FromSeconds(30), () => "the servers the Try lines started are still running");
    }

    [Fact]
    public async Task The_readme_powershell_try_section_runs_as_written_through_the_repositorys_ps1_wrappers_and_stops_what_it_starts()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RunNetworkScript.RepositoryRoot, "README.md"));
        var section = PowerShellSection().Match(readme);
        Assert.True(section.Success, "README has no PowerShell Try section");
        // The repository's own bank.ps1, chain.ps1 and tools/Cli.ps1 in a root of their own, whose
        // Release builds are the builds beside this test: the wrappers find them current and run them.
        var root = _directory;
        foreach (var file in new[] { "bank.ps1", "chain.ps1", "tools/Cli.ps1", "LedgerContrast.sln" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, file))!);
            File.Copy(Path.Combine(RunNetworkScript.RepositoryRoot, file), Path.Combine(root, file));
        }
        foreach (var project in new[] { "CentralBank", "ChainNode" })
        {
            var release = Directory.CreateDirectory(Path.Combine(root, "src", project, "bin", "Release")).FullName;
            Directory.CreateSymbolicLink(Path.Combine(release, "net10.0"), AppContext.BaseDirectory.TrimEnd('/'));
        }
        // Each line as written; after each, a native command's failure stops the script (bash's set -e).
        var script = new List<string> { "$ErrorActionPreference = 'Stop'", $"Set-Location '{root}'" };
        foreach (var line in section.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            script.Add(line);
            script.Add($"if ($LASTEXITCODE) {{ throw \"exit $LASTEXITCODE from: {line.Split('#')[0].Trim().Replace("\"", "`\"", StringComparison.Ordinal).Replace("$", "`$", StringComparison.Ordinal)}\" }}");
        }
        Assert.True(script.Count > 60, "README's PowerShell Try section is short of the bash one's lines");
        await File.WriteAllLinesAsync(Path.Combine(root, "try.ps1"), script);

        // dotnet pwsh from the repository (its tool manifest); the script works in its own root.
        var pwsh = await ExternalProcess.RunAsync("dotnet", ["pwsh", "-NoProfile", "-File", Path.Combine(root, "try.ps1")], RunNetworkScript.RepositoryRoot, TimeSpan.FromMinutes(4));
        var output = pwsh.Stdout + pwsh.Stderr;

        Assert.True(pwsh.ExitCode == 0, $"README's PowerShell Try lines failed (exit {pwsh.ExitCode}):\n{output}");
        Assert.Contains("Transferred 12.5 from acc-1 to acc-2", output, StringComparison.Ordinal);
        Assert.Contains("Audit passed", output, StringComparison.Ordinal);
        Assert.Contains("acc-1 now holds 75", output, StringComparison.Ordinal);
        Assert.DoesNotContain("New tip at height", output, StringComparison.Ordinal);
        Assert.Contains("(1 confirmation)", output, StringComparison.Ordinal);
        Assert.Contains("Connected to 127.0.0.1:7301", output, StringComparison.Ordinal);
        Assert.DoesNotContain("building", output, StringComparison.Ordinal); // the wrappers found the builds current
        await Poll.UntilAsync(() => ServersIn(_directory).Count == 0, TimeSpan.FromSeconds(30), () => "the servers the PowerShell Try lines started are still running");
    }

    [GeneratedRegex(@"## Try them in PowerShell[^\n]*\n.*?```powershell\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex PowerShellSection();

    /// <summary>The servers the script started: dotnet processes working in its directory.</summary>
    private static List<int> ServersIn(string directory)
    {
        var pids = new List<int>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(proc), out var pid) && File.ReadAllText(Path.Combine(proc, "cmdline")).Contains(".dll", StringComparison.Ordinal)
                    && new DirectoryInfo(Path.Combine(proc, "cwd")).ResolveLinkTarget(true)?.FullName.TrimEnd('/') == directory.TrimEnd('/'))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // a process that ended while we looked, or not ours to read
            }
        }
        return pids;
    }

    [GeneratedRegex(@"## Try the (?:bank|chain)\n.*?```\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex TrySection();

    public void Dispose()
    {
        // A failed run must not leave servers behind.
        foreach (var pid in ServersIn(_directory))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                process.WaitForExit(10_000);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
            }
        }
        TempDirectory.Delete(_directory);
    }
}
