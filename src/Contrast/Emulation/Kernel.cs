using System.Diagnostics;
using LedgerContrast.Shared.Cli;

namespace LedgerContrast.Contrast.Emulation;

/// <summary>
/// The kernel's network tools (iproute2's ip and tc, nftables' nft) run as processes: what
/// <see cref="EmulatedNetwork"/> builds its namespaces, links and rules with. A tool that fails
/// says so in one sentence with its own message.
/// </summary>
public static class Kernel
{
    /// <summary>Runs a tool and returns what it printed; a non-zero exit is an EMULATION_FAILED error quoting its stderr.</summary>
    public static string Run(string tool, params string[] args)
    {
        var (exit, stdout, stderr) = TryRun(tool, args);
        return exit == 0 ? stdout
            : throw new CliException("EMULATION_FAILED", $"`{tool} {string.Join(' ', args)}` failed: {(stderr + stdout).Trim().Split('\n')[0]}");
    }

    /// <summary>Runs a tool and returns its exit code and output, whatever they are.</summary>
    public static (int Exit, string Stdout, string Stderr) TryRun(string tool, IEnumerable<string> args, string? stdin = null)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CliException("EMULATION_FAILED", $"Could not run {tool}.");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new CliException("EMULATION_UNAVAILABLE", $"{tool} is not installed: the emulated network needs iproute2 (ip, tc) and nftables (apt-get install iproute2 nftables).");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
                process.StandardInput.Close();
            }
            if (!process.WaitForExit(30_000))
            {
                process.Kill(entireProcessTree: true);
                throw new CliException("EMULATION_FAILED", $"`{tool} {string.Join(' ', args)}` did not finish within 30 s.");
            }
            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>`ip netns exec NAMESPACE TOOL ARGS` (nft has no -n option of its own).</summary>
    public static string InNamespace(string ns, string tool, params string[] args) => Run("ip", ["netns", "exec", ns, tool, .. args]);

    /// <summary>Applies an nftables script inside a namespace.</summary>
    public static void Nft(string ns, string script)
    {
        var (exit, stdout, stderr) = TryRun("ip", ["netns", "exec", ns, "nft", "-f", "-"], script);
        if (exit != 0)
        {
            throw new CliException("EMULATION_FAILED", $"nft in {ns} refused the rules: {(stderr + stdout).Trim().Split('\n')[0]}");
        }
    }

    /// <summary>
    /// Names a new network namespace (`ip netns add`). The name is a bind mount under /run/netns,
    /// made in the machine's mount namespace: `contrast` itself runs under `ip netns exec` (in the
    /// clients namespace), which gives it a mount namespace of its own whose mounts nobody else
    /// sees — a namespace named there would be an empty file to every other process.
    /// </summary>
    public static void AddNamespace(string ns) => Run(MachineWide("ip", "netns", "add", ns));

    /// <summary>Deletes a named network namespace (`ip netns del`), machine-wide as <see cref="AddNamespace"/> named it.</summary>
    public static void DeleteNamespace(string ns)
    {
        var command = MachineWide("ip", "netns", "del", ns);
        TryRun(command[0], command[1..]);
    }

    private static string[] MachineWide(params string[] command)
    {
        static string? MountNamespace(string process) => new FileInfo($"/proc/{process}/ns/mnt").LinkTarget;
        var own = MountNamespace("self");
        var machine = MountNamespace("1");
        return own is null || machine is null || own == machine ? command : ["nsenter", "--mount=/proc/1/ns/mnt", "--", .. command];
    }

    private static string Run(string[] command) => Run(command[0], command[1..]);

    /// <summary>Every network namespace ip knows by name.</summary>
    public static List<string> Namespaces() =>
        [.. Run("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line => line.Split(' ')[0])];

    /// <summary>The pids of every process inside a namespace.</summary>
    public static List<int> ProcessesIn(string ns)
    {
        var (exit, stdout, _) = TryRun("ip", ["netns", "pids", ns]);
        return exit != 0 ? [] : [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)];
    }
}
