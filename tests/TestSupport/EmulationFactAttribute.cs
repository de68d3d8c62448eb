using System.Diagnostics;
using Xunit;

namespace LedgerContrast.TestSupport;

/// <summary>
/// A test that builds an emulated network (Linux network namespaces, veth, tc and nftables):
/// skipped, saying why, where this process cannot — not Linux, not root, a tool missing, or a
/// kernel that refuses namespaces (a container without the capability).
/// </summary>
public sealed class EmulationFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> s_whyNot = new(WhyNot);

    public EmulationFactAttribute()
    {
        if (s_whyNot.Value is { } why)
        {
            Skip = why;
        }
    }

    private static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "builds Linux network namespaces (Linux only)";
        }
        if (!Environment.IsPrivilegedProcess)
        {
            return "builds network namespaces, which needs root";
        }
        foreach (var tool in new[] { "ip", "tc", "nft" })
        {
            if (!new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')).Any(dir => File.Exists(Path.Combine(dir, tool))))
            {
                return $"needs {tool} (apt-get install iproute2 nftables)";
            }
        }
        var probe = $"lc-probe-{Environment.ProcessId}";
        try
        {
            using var add = Process.Start("ip", ["netns", "add", probe])!;
            add.WaitForExit(10_000);
            return add.ExitCode == 0 ? null : "this kernel or container refuses `ip netns add`";
        }
        finally
        {
            using var del = Process.Start(new ProcessStartInfo("ip", ["netns", "del", probe]) { RedirectStandardError = true })!;
            del.WaitForExit(10_000);
        }
    }
}
