using System.Text.Json;
using System.Text.Json.Serialization;

namespace LedgerContrast.Shared.Cli;

/// <summary>
/// `.network/network.json`, written by run-network.ps1: endpoints, pids, data directories, logs
/// and where the bank's admin token is. The CLIs and `contrast` use it when no --node/--server
/// is given. Found via $LC_NETWORK_FILE, else .network/network.json in the current directory or
/// any parent.
/// </summary>
public sealed record NetworkFile
{
    public const string EnvironmentVariable = "LC_NETWORK_FILE";

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, PropertyNameCaseInsensitive = true };

    public string Network { get; init; } = "";
    public string Topology { get; init; } = "";
    public string DataDir { get; init; } = "";
    public string WalletDir { get; init; } = "";
    public NetworkProcess? Bank { get; init; }
    public string? AdminTokenFile { get; init; }
    public Dictionary<string, BankCustomer> Customers { get; init; } = [];
    public List<NetworkProcess> Nodes { get; init; } = [];

    /// <summary>The replicated bank run-network.ps1 started with -BankReplicas N (Raft replicas of one ledger, beside the single bank), if any.</summary>
    public List<NetworkProcess> BankReplicas { get; init; } = [];

    /// <summary>The admin token every replica of the replicated bank shares.</summary>
    public string? ReplicaAdminTokenFile { get; init; }

    /// <summary>The live view (`contrast watch`) run-network.ps1 started with -Watch or -Demo, if any.</summary>
    public NetworkProcess? Watch { get; init; }

    /// <summary>
    /// run-network.ps1 -Emulate: every process in a network namespace of its own on one virtual
    /// switch (docs/ARCHITECTURE.md §Emulated network); null on loopback.
    /// </summary>
    public NetworkEmulation? Emulation { get; init; }

    [JsonIgnore]
    public string? Path { get; init; }

    public sealed record NetworkProcess
    {
        public string Name { get; init; } = "";
        public string Url { get; init; } = "";
        public int Pid { get; init; }
        public string DataDir { get; init; } = "";
        public string Log { get; init; } = "";
        public List<string> Command { get; init; } = [];

        /// <summary>The network namespace it runs in (run-network.ps1 -Emulate), else null: started as `ip netns exec NAMESPACE COMMAND…`.</summary>
        public string? Namespace { get; init; }
    }

    /// <param name="Name">What every namespace of this run is named after: NAME-switch, NAME-node1…</param>
    /// <param name="Prefix">The private IPv4 /24 the members' addresses come from; routed nowhere outside the namespaces.</param>
    /// <param name="SwitchNamespace">Where the bridge joining every member is, and the nftables rules that drop packets (loss, partitions).</param>
    /// <param name="ClientsNamespace">Where the CLIs, `contrast` and the live view run.</param>
    public sealed record NetworkEmulation
    {
        public string Name { get; init; } = "";
        public string Prefix { get; init; } = "";
        public string SwitchNamespace { get; init; } = "";
        public string ClientsNamespace { get; init; } = "";
        public EmulatedLink Link { get; init; } = new();
        public List<EmulatedMember> Members { get; init; } = [];
    }

    /// <param name="Bandwidth">Each member's link to the switch, both ways, e.g. "10mbit" (tc tbf); "" for unlimited.</param>
    /// <param name="Loss">Share of packets dropped crossing the switch, e.g. "0.5%" (nftables).</param>
    /// <param name="Delay">One-way delay of each member's sends, e.g. "50ms".</param>
    /// <param name="DelayBy">What delays them: "netem" (the kernel) or "--link-latency" (the nodes themselves, where the kernel has no netem), or "" for none.</param>
    public sealed record EmulatedLink
    {
        public string Bandwidth { get; init; } = "";
        public string Loss { get; init; } = "";
        public string Delay { get; init; } = "";
        public string DelayBy { get; init; } = "";
    }

    public sealed record EmulatedMember
    {
        public string Name { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string Address { get; init; } = "";
    }

    public sealed record BankCustomer
    {
        public string CustomerId { get; init; } = "";
        public string AccountId { get; init; } = "";
        public string Token { get; init; } = "";
    }

    public static NetworkFile? TryFind(string? explicitPath = null)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        var path = explicitPath ?? (string.IsNullOrEmpty(fromEnvironment) ? null : fromEnvironment);
        if (path is null)
        {
            for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = System.IO.Path.Combine(dir.FullName, ".network", "network.json");
                if (File.Exists(candidate))
                {
                    path = candidate;
                    break;
                }
            }
        }
        if (path is null || !File.Exists(path))
        {
            return null;
        }
        try
        {
            return (JsonSerializer.Deserialize<NetworkFile>(File.ReadAllText(path), s_json) ?? new NetworkFile()) with { Path = path };
        }
        catch (JsonException)
        {
            throw new CliException("BAD_NETWORK_FILE", $"{path} is not valid JSON; run run-network.ps1 -Clean and start again.");
        }
    }

    public string? ReadAdminToken() => ReadToken(AdminTokenFile);

    public string? ReadReplicaAdminToken() => ReadToken(ReplicaAdminTokenFile);

    private static string? ReadToken(string? file) =>
        file is not null && File.Exists(file) ? File.ReadAllText(file).Trim() : null;
}
