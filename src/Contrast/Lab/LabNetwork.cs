using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Cli;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// The running network of network.json, seen only through public gRPC APIs: a bank client per
/// credential and a client per node. Stopping and restarting a process (outage) uses the pid
/// and command recorded by run-network.ps1, and records the new pid back.
/// </summary>
public sealed class LabNetwork : IDisposable
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
    private readonly List<GrpcChannel> _channels = [];

    public LabNetwork(NetworkFile file)
    {
        File = file ?? throw new ArgumentNullException(nameof(file));
        if (file.Nodes.Count == 0)
        {
            throw new CliException("NO_NODES", $"{file.Path} lists no chain nodes.");
        }
        Nodes = [.. file.Nodes.Select(n =>
        {
            var channel = Channel(n.Url);
            return new LabNode(n.Name, n.Url, new NodeService.NodeServiceClient(channel), new NodeService.NodeServiceClient(WithAdminCookie(channel.CreateCallInvoker(), n.DataDir)));
        })];
        Wallets = new WalletStore(file.WalletDir);
        if (file.Bank is not null)
        {
            AdminToken = file.ReadAdminToken() ?? throw new CliException("NO_ADMIN_TOKEN", $"The bank's admin token file {file.AdminTokenFile} is missing.");
            Admin = Bank(AdminToken);
        }
    }

    /// <summary>
    /// The lab partitions and heals nodes (admin calls) with each node's cookie, read at each
    /// admin call — a node restarted by the outage experiment writes a new one. Only admin calls
    /// go through this client, so the measured calls read no file.
    /// </summary>
    internal static CallInvoker WithAdminCookie(CallInvoker invoker, string dataDirectory) =>
        invoker.Intercept(metadata =>
        {
            if (NodeCookieFile.TryRead(dataDirectory) is { } secret)
            {
                metadata.Add("authorization", "Bearer " + secret);
            }
            return metadata;
        });

    public NetworkFile File { get; private set; }
    public IReadOnlyList<LabNode> Nodes { get; }
    public WalletStore Wallets { get; }
    public string? AdminToken { get; }
    public BankService.BankServiceClient? Admin { get; }
    public bool HasBank => Admin is not null;

    public BankService.BankServiceClient RequireAdmin() =>
        Admin ?? throw new CliException("NO_BANK", "This network was started with -NoBank; the bank half of the experiment cannot run.");

    public BankService.BankServiceClient Bank(string token, string? url = null)
    {
        var invoker = Channel(url ?? File.Bank!.Url).CreateCallInvoker().Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return metadata;
        });
        return new BankService.BankServiceClient(invoker);
    }

    /// <summary>
    /// Stops mining on every node of this network that mines, until the returned handle is
    /// disposed, which starts it again as the node was started (its --miner-address and
    /// --miner-threads). Experiments that run lab nodes of their own (scale, forks) measure them
    /// without three proof-of-work loops competing for the same cores.
    /// </summary>
    public async Task<IAsyncDisposable> PauseMiningAsync()
    {
        var paused = new List<(LabNode Node, NetworkFile.NetworkProcess Process)>();
        foreach (var (node, process) in Nodes.Zip(File.Nodes))
        {
            if ((await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: LabNode.Deadline()).ConfigureAwait(false)).Mining)
            {
                await node.Admin.SetMiningAsync(new SetMiningRequest { Enabled = false }, deadline: LabNode.Deadline()).ConfigureAwait(false);
                paused.Add((node, process));
            }
        }
        return new MiningResumer(paused);
    }

    private sealed class MiningResumer(List<(LabNode Node, NetworkFile.NetworkProcess Process)> paused) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var (node, process) in paused)
            {
                string? Arg(string name) => process.Command.IndexOf(name) is var at and >= 0 && at + 1 < process.Command.Count ? process.Command[at + 1] : null;
                var threads = uint.TryParse(Arg("--miner-threads"), out var t) ? t : 1;
                await node.Admin.SetMiningAsync(new SetMiningRequest { Enabled = true, MinerAddress = Arg("--miner-address") ?? "", Threads = threads }, deadline: LabNode.Deadline()).ConfigureAwait(false);
            }
        }
    }

    /// <summary>kill -9 of a process this network runs; returns when it is gone.</summary>
    public static void Kill(NetworkFile.NetworkProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            using var running = Process.GetProcessById(process.Pid);
            running.Kill(entireProcessTree: true);
            running.WaitForExit(30_000);
        }
        catch (ArgumentException)
        {
            // already gone
        }
    }

    /// <summary>
    /// A planned stop, as an operator upgrading would do it: SIGTERM, so the process shuts down
    /// cleanly (a node saves its mempool), then kill -9 if it has not gone within 30 s.
    /// </summary>
    public static void Stop(NetworkFile.NetworkProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                using var running = Process.GetProcessById(process.Pid);
                using (var term = Process.Start("kill", ["-TERM", process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    term.WaitForExit(5_000);
                }
                if (running.WaitForExit(30_000))
                {
                    return;
                }
            }
            catch (ArgumentException)
            {
                return; // already gone
            }
        }
        Kill(process);
    }

    /// <summary>Starts a process again exactly as run-network.ps1 did, appending to its log, and records its new pid.</summary>
    public NetworkFile.NetworkProcess Restart(NetworkFile.NetworkProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        Process child;
        if (OperatingSystem.IsWindows())
        {
            var start = new ProcessStartInfo(process.Command[0]) { UseShellExecute = true, WindowStyle = ProcessWindowStyle.Hidden };
            foreach (var arg in process.Command.Skip(1))
            {
                start.ArgumentList.Add(arg);
            }
            child = Process.Start(start) ?? throw new CliException("RESTART_FAILED", $"Could not restart {process.Name}.");
        }
        else
        {
            // exec through the shell so the server writes straight to its log files and outlives this process.
            var command = string.Join(' ', process.Command.Select(Quote)) + $" >>{Quote(process.Log)} 2>>{Quote(Path.ChangeExtension(process.Log, ".err.log"))}";
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("exec " + command);
            child = Process.Start(start) ?? throw new CliException("RESTART_FAILED", $"Could not restart {process.Name}.");
        }
        var restarted = process with { Pid = child.Id };
        File = File with
        {
            Bank = File.Bank?.Name == process.Name ? restarted : File.Bank,
            Nodes = [.. File.Nodes.Select(n => n.Name == process.Name ? restarted : n)],
        };
        Save();
        return restarted;
    }

    private void Save()
    {
        if (File.Path is not null)
        {
            OwnerOnlyFile.WriteAllText(File.Path, JsonSerializer.Serialize(File, s_json));
        }
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The lab measures servers, not the client library's patience: after a failed connection
    /// gRPC waits 1 s, then 1.6×, up to 2 minutes before trying again, and an outage of a few
    /// seconds would read as twice as long. Lab clients reconnect within half a second.
    /// </summary>
    private static readonly GrpcChannelOptions s_promptReconnect = new()
    {
        InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
        MaxReconnectBackoff = TimeSpan.FromMilliseconds(500),
    };

    private GrpcChannel Channel(string url)
    {
        var channel = GrpcChannel.ForAddress(url, s_promptReconnect);
        _channels.Add(channel);
        return channel;
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }
}

/// <param name="Admin">The same node with its admin cookie: for partitioning and healing.</param>
public sealed record LabNode(string Name, string Url, NodeService.NodeServiceClient Api, NodeService.NodeServiceClient Admin)
{
    public static DateTime Deadline(double seconds = 10) => DateTime.UtcNow.AddSeconds(seconds);
}
