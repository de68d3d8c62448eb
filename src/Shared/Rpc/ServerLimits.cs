using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LedgerContrast.Shared.Rpc;

/// <summary>
/// The limits both servers run with, chosen so that no number of callers can take the process
/// down (docs/ARCHITECTURE.md lists them). Connections are the scarce thing: each holds a file
/// descriptor, and a server that lets idle sockets take the last descriptors can no longer
/// open its own files — the bank could not fsync, the node could not write a block. So the soft
/// descriptor limit is raised to the hard one, <see cref="ReservedDescriptors"/> are kept for the
/// process's own files, threads and outbound calls, and Kestrel closes connections beyond the rest.
/// </summary>
public static partial class ServerLimits
{
    /// <summary>Descriptors never given to inbound connections: data files, logs, outbound peers, the runtime's own.</summary>
    public const int ReservedDescriptors = 256;

    /// <summary>More inbound connections than this are refused even when descriptors allow.</summary>
    public const int MaxConnections = 4096;

    public const int MaxStreamsPerConnection = 100;
    public const int MaxRequestHeadersBytes = 16 * 1024;

    /// <summary>How many inbound connections this process allows: what the descriptor limit leaves after the reserve.</summary>
    public static int ConnectionBudget { get; } = ComputeConnectionBudget();

    public static void Apply(KestrelServerOptions kestrel, long maxRequestBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        kestrel.Limits.MaxConcurrentConnections = ConnectionBudget;
        kestrel.Limits.MaxRequestBodySize = maxRequestBodyBytes;
        kestrel.Limits.MaxRequestHeadersTotalSize = MaxRequestHeadersBytes;
        kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
        kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
        kestrel.Limits.Http2.MaxStreamsPerConnection = MaxStreamsPerConnection;
        kestrel.Limits.Http2.MaxRequestHeaderFieldSize = 8 * 1024;
        kestrel.AddServerHeader = false;
    }

    private static int ComputeConnectionBudget()
    {
        if (!OperatingSystem.IsLinux())
        {
            return MaxConnections;
        }
        if (GetRLimit(ResourceNoFile, out var limit) != 0)
        {
            return 512;
        }
        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = Math.Min(limit.Maximum, 65_536UL) };
            if (raised.Current > limit.Current && SetRLimit(ResourceNoFile, in raised) == 0)
            {
                limit = raised;
            }
        }
        var available = (long)Math.Min(limit.Current, int.MaxValue) - ReservedDescriptors;
        return (int)Math.Clamp(available, 16, MaxConnections);
    }

    private const int ResourceNoFile = 7; // RLIMIT_NOFILE on Linux

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct RLimit(ulong Current, ulong Maximum);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);
}
