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
public sealed class LabNetwork : ILabBank, IDisposable
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
        if (file.BankReplicas.Count > 0)
        {
            Replicated = new ReplicatedLabBank(this);
        }
    }

    /// <summary>The replicated bank (run-network.ps1 -BankReplicas N), if this network has one.</summary>
    public ReplicatedLabBank? Replicated { get; }

    BankService.BankServiceClient ILabBank.Client(string token) => Bank(token);

    IReadOnlyList<int> ILabBank.ServerProcessIds => File.Bank is { } bank ? [bank.Pid] : [];

    /// <summary>
    /// The lab partitions and heals nodes (admin calls) with each node's cookie, read at each
    /// admin call — a node restarted by the outage experiment writes a new one. Only admin calls
    /// go through this client, so the measured calls read no file.
    /// </summary>
    /// <summary>Calls that carry a bank customer's (or the admin's) token.</summary>
    internal static CallInvoker WithBearerToken(CallInvoker invoker, string token) =>
        invoker.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return metadata;
        });

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

    /// <summary>Where the experiments run against this network log their steps (`contrast watch` shows them).</summary>
    public static string? StepJournalOf(NetworkFile file) =>
        file?.Path is { } path ? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, "lab-steps.log") : null;

    /// <summary>Where the experiments record the refusals they caused, for the live view (beside network.json).</summary>
    public static string? RefusalJournalOf(NetworkFile file) =>
        file?.Path is { } path ? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, "lab-refusals.log") : null;
    public IReadOnlyList<LabNode> Nodes { get; }
    public WalletStore Wallets { get; }
    public string? AdminToken { get; }
    public BankService.BankServiceClient? Admin { get; }
    public bool HasBank => Admin is not null;

    public BankService.BankServiceClient RequireAdmin() =>
        Admin ?? throw new CliException("NO_BANK", "This network was started with -NoBank; the bank half of the experiment cannot run.");

    /// <summary>A client of the bank that sends no credential at all.</summary>
    public BankService.BankServiceClient AnonymousBank() => new(Channel(File.Bank!.Url));

    public BankService.BankServiceClient Bank(string token, string? url = null)
    {
        return new BankService.BankServiceClient(WithBearerToken(Channel(url ?? File.Bank!.Url).CreateCallInvoker(), token));
    }

    /// <summary>
    /// A new client of the bank on a connection of its own, which gives up connecting after
    /// <paramref name="connectTimeout"/> (UNAVAILABLE) — as a client that has never reached the
    /// server across a partition does — rather than waiting out the call's deadline.
    /// </summary>
    public BankService.BankServiceClient BankConnectingWithin(string token, TimeSpan connectTimeout)
    {
        var channel = GrpcChannel.ForAddress(File.Bank!.Url, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { ConnectTimeout = connectTimeout, EnableMultipleHttp2Connections = true } });
        _channels.Add(channel);
        return new BankService.BankServiceClient(WithBearerToken(channel.CreateCallInvoker(), token));
    }

    /// <summary>
    /// Stops mining on every node of this network that mines, until the returned handle is
    /// disposed, which starts it again as the node was started (its --miner-address and
    /// --miner-threads). Experiments that run lab nodes of their own (scale, forks) measure them
    /// without three proof-of-work loops competing for the same cores.
    /// </summary>
    public async Task<IAsyncDisposable> PauseMiningAsync()
    {
        var paused = new List<LabNode>();
        foreach (var node in Nodes)
        {
            if ((await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: LabNode.Deadline()).ConfigureAwait(false)).Mining)
            {
                await SetMiningAsync(node, enabled: false).ConfigureAwait(false);
                paused.Add(node);
            }
        }
        return new MiningResumer(this, paused);
    }

    /// <summary>Cuts (RemovePeer both ways) or restores (AddPeer both ways) every link between two groups of nodes: a partition, or its heal.</summary>
    public static async Task SetLinksAsync(IReadOnlyList<LabNode> groupA, IReadOnlyList<LabNode> groupB, bool connect)
    {
        ArgumentNullException.ThrowIfNull(groupA);
        ArgumentNullException.ThrowIfNull(groupB);
        foreach (var a in groupA)
        {
            foreach (var b in groupB)
            {
                foreach (var (from, to) in new[] { (a, b), (b, a) })
                {
                    var request = new PeerRequest { Address = new Uri(to.Url).Authority };
                    if (connect)
                    {
                        await from.Admin.AddPeerAsync(request, deadline: LabNode.Deadline()).ConfigureAwait(false);
                    }
                    else
                    {
                        await from.Admin.RemovePeerAsync(request, deadline: LabNode.Deadline()).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    /// <summary>Starts mining on a node as it was started (its --miner-address and --miner-threads), or stops it.</summary>
    public async Task SetMiningAsync(LabNode node, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!enabled)
        {
            await node.Admin.SetMiningAsync(new SetMiningRequest { Enabled = false }, deadline: LabNode.Deadline()).ConfigureAwait(false);
            return;
        }
        var process = File.Nodes.First(n => n.Name == node.Name);
        string? Arg(string name) => process.Command.IndexOf(name) is var at and >= 0 && at + 1 < process.Command.Count ? process.Command[at + 1] : null;
        var threads = uint.TryParse(Arg("--miner-threads"), out var t) ? t : 1;
        var address = Arg("--miner-address") ?? throw new CliException("NO_MINER_ADDRESS", $"{node.Name} was started without --miner-address; there is nobody to pay its blocks to.");
        await node.Admin.SetMiningAsync(new SetMiningRequest { Enabled = true, MinerAddress = address, Threads = threads }, deadline: LabNode.Deadline()).ConfigureAwait(false);
    }

    private sealed class MiningResumer(LabNetwork lab, List<LabNode> paused) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var node in paused)
            {
                await lab.SetMiningAsync(node, enabled: true).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Which node a coinbase key (hex) belongs to: the --miner-address each node was started with (network.json); nodes sharing one are named together.</summary>
    public Dictionary<string, string> MinerNames()
    {
        var names = new Dictionary<string, string>();
        foreach (var node in File.Nodes)
        {
            var at = node.Command.IndexOf("--miner-address");
            if (at >= 0 && at + 1 < node.Command.Count && Shared.Addresses.Address.TryParse(node.Command[at + 1], null, out var address, out _))
            {
                var key = Convert.ToHexStringLower(address.PublicKey.ToArray());
                names[key] = names.TryGetValue(key, out var others) ? $"{others}/{node.Name}" : node.Name;
            }
        }
        return names;
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
            // exec through the shell so the server writes straight to its log files and outlives this
            // process; in an emulated network, inside the process's own namespace again.
            IEnumerable<string> line = process.Namespace is { } ns ? ["ip", "netns", "exec", ns, .. process.Command] : process.Command;
            var command = string.Join(' ', line.Select(Quote)) + $" >>{Quote(process.Log)} 2>>{Quote(Path.ChangeExtension(process.Log, ".err.log"))}";
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("exec " + command);
            child = Process.Start(start) ?? throw new CliException("RESTART_FAILED", $"Could not restart {process.Name}.");
        }
        var restarted = process with { Pid = child.Id };
        NetworkFile Replaced(NetworkFile file) => file with
        {
            Bank = file.Bank?.Name == process.Name ? restarted : file.Bank,
            Nodes = [.. file.Nodes.Select(n => n.Name == process.Name ? restarted : n)],
            BankReplicas = [.. file.BankReplicas.Select(r => r.Name == process.Name ? restarted : r)],
        };
        File = Replaced(File);
        if (File.Path is not null)
        {
            // Into network.json as it is now, not as this process read it: run-network.ps1 adds the
            // live view's entry after the live view has started, and -Stop needs it.
            var current = NetworkFile.TryFind(File.Path) ?? File;
            OwnerOnlyFile.WriteAllText(File.Path, JsonSerializer.Serialize(Replaced(current), s_json));
        }
        return restarted;
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The lab measures servers, not the client library's patience: after a failed connection
    /// gRPC waits 1 s, then 1.6×, up to 2 minutes before trying again, and an outage of a few
    /// seconds would read as twice as long. Lab clients reconnect within half a second.
    /// </summary>
    internal static readonly GrpcChannelOptions PromptReconnect = new()
    {
        InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
        MaxReconnectBackoff = TimeSpan.FromMilliseconds(500),
    };

    private GrpcChannel Channel(string url)
    {
        var channel = GrpcChannel.ForAddress(url, PromptReconnect);
        _channels.Add(channel);
        return channel;
    }

    public void Dispose()
    {
        Replicated?.Dispose();
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
