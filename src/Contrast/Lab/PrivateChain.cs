using LedgerContrast.Shared.Rpc;
using System.Diagnostics;
using Grpc.Net.Client;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Addresses;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Contrast.Emulation;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// A chain network of the lab's own for one experiment (scale, forks): real `chain node`
/// processes — the executable network.json's nodes run — on regtest, on free loopback ports, in
/// a temporary directory removed afterwards. Proof of work is trivial on regtest, so the lab
/// decides when blocks are found (<see cref="MineAsync"/>) and the experiment controls the block
/// interval exactly; relay, validation and fork choice are the real ones. In an emulated network
/// (with a link shape) each node runs in a namespace of its own on the run's switch, its link
/// shaped as the experiment asks; otherwise on loopback.
/// </summary>
public sealed class PrivateChain : IAsyncDisposable
{
    /// <summary>Whom each new node dials: random earlier nodes (as addresses learned from peers make a graph), or a line, a ring or a full mesh.</summary>
    public enum Topology
    {
        Random,
        Line,
        Ring,
        Mesh,
    }

    public const string NetworkName = "lc-lab";
    private readonly List<string> _executable;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "lc-lab-" + Guid.NewGuid().ToString("N"));
    private readonly List<LabNodeProcess> _processes = [];
    private readonly List<LabNode> _nodes = [];
    private readonly List<string> _minerAddresses = [];
    private readonly TimeSpan _linkLatency;
    private readonly int _outbound;
    private readonly (Shared.Cli.NetworkFile.NetworkEmulation Network, LinkShape Shape)? _emulated;
    private readonly List<Shared.Cli.NetworkFile.EmulatedMember> _members = [];
    private readonly string _tag = Guid.NewGuid().ToString("N")[..4];

    private readonly IReadOnlyList<string> _nodeArguments;
    private readonly Topology _topology;

    private PrivateChain(List<string> executable, TimeSpan linkLatency, int outbound, (Shared.Cli.NetworkFile.NetworkEmulation, LinkShape)? emulated, IReadOnlyList<string> nodeArguments, Topology topology)
    {
        _executable = executable;
        _topology = topology;
        _nodeArguments = nodeArguments;
        _linkLatency = linkLatency;
        _outbound = outbound;
        _emulated = emulated;
    }

    /// <summary>Each node's link in an emulated network (null on loopback).</summary>
    public LinkShape? Links => _emulated?.Shape;

    /// <summary>How this chain's nodes are cut apart: by packets on the emulated switch, else by remove-peer.</summary>
    public LabPartition Partition => _emulated is { } emulated
        ? new(emulated.Network, _nodes.Zip(_members).ToDictionary(p => p.First.Name, p => p.Second.Name))
        : LabPartition.Loopback;

    public IReadOnlyList<LabNode> Nodes => _nodes;

    /// <summary>What each node's blocks pay: one fresh key per node, so the coinbase names the node that mined a block.</summary>
    public IReadOnlyList<string> MinerAddresses => _minerAddresses;

    /// <summary>
    /// Starts <paramref name="nodes"/> nodes: each dials up to <paramref name="outbound"/> of
    /// those before it (a random graph, as addresses learned from peers make one), and waits until
    /// every node is serving and connected.
    /// </summary>
    /// <param name="emulate">Each node's link, in a namespace of its own on the emulated network's switch; null for loopback.</param>
    /// <param name="nodeArguments">More `chain node` options for every node (e.g. --block-max-size).</param>
    /// <param name="topology">Whom each node dials; anything but random is built for <paramref name="nodes"/> nodes and not grown.</param>
    public static async Task<PrivateChain> StartAsync(NetworkFile file, int nodes, TimeSpan linkLatency, int outbound, Progress progress, LinkShape? emulate = null, IReadOnlyList<string>? nodeArguments = null,
        Topology topology = Topology.Random)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(progress);
        if (emulate is not null && file.Emulation is null)
        {
            throw new CliException("NOT_EMULATED", "--emulate needs an emulated network: start it with run-network.ps1 -Emulate (Linux, root), and run contrast in its clients namespace.");
        }
        // The outbound target of a random graph or a mesh; a line's or a ring's nodes dial exactly their links (AddNodesAsync) and do not read it.
        var dials = topology == Topology.Mesh ? nodes : outbound;
        var chain = new PrivateChain(LabNodeProcess.ExecutableOf(file), linkLatency, dials, emulate is null ? null : (file.Emulation!, emulate), nodeArguments ?? [], topology);
        try
        {
            await chain.AddNodesAsync(nodes, progress).ConfigureAwait(false);
            return chain;
        }
        catch
        {
            await chain.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds nodes that dial random existing ones, and waits until all are serving, connected and on one tip.</summary>
    public async Task AddNodesAsync(int count, Progress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var first = _nodes.Count;
        for (var i = 0; i < count; i++)
        {
            var index = _nodes.Count;
            var name = $"lab{index + 1}";
            var dataDir = Path.Combine(_directory, name);
            Directory.CreateDirectory(dataDir);
            List<LabNode> peers = _topology switch
            {
                Topology.Random => [.. _nodes.OrderBy(_ => Random.Shared.Next()).Take(_outbound)],
                Topology.Mesh => [.. _nodes],
                _ => [.. _nodes.TakeLast(1).Concat(_topology == Topology.Ring && i == count - 1 && _nodes.Count >= 2 ? [_nodes[0]] : [])],
            };
            // A line or a ring keeps exactly the links it was given: a node wanting more outbound
            // peers dials addresses learned from its peers, and the head of a line would close it
            // into a triangle. A random graph grows as addresses are learned; a mesh is all links.
            var outbound = _topology is Topology.Random or Topology.Mesh ? _outbound : peers.Count;
            var args = new List<string>
            {
                "--regtest", "--network", NetworkName, "--port", "0", "--data", dataDir,
                "--outbound", $"{outbound}", "--link-latency", $"{_linkLatency.TotalMilliseconds:0}ms",
            };
            args.AddRange(_nodeArguments);
            foreach (var peer in peers)
            {
                args.AddRange(["--peer", new Uri(peer.Url).Authority]);
            }
            var executable = _executable;
            if (_emulated is { } emulated)
            {
                // Its own namespace and address on the run's switch (named apart from any other run's lab nodes).
                var member = EmulatedNetwork.Attach(emulated.Network, [$"{name}-{_tag}"], emulated.Shape)[0];
                _members.Add(member);
                executable = ["ip", "netns", "exec", member.Namespace, .. _executable];
                args.AddRange(["--host", member.Address]);
            }
            var process = await LabNodeProcess.StartAsync(executable, name, dataDir, args).ConfigureAwait(false);
            _processes.Add(process);
            _nodes.Add(process.Node);
            using var key = PrivateKey.Generate();
            _minerAddresses.Add(new Address(Address.PrefixForNetwork(NetworkName), key.PublicKey).ToString());
        }
        var added = _nodes.Skip(first).ToList();
        await progress.UntilAsync($"{count} lab node{(count == 1 ? "" : "s")} serving and connected", async () =>
        {
            foreach (var (node, index) in added.Select((n, i) => (n, first + i)))
            {
                if (_processes[index].HasExited)
                {
                    throw new CliException("LAB_NODE_FAILED", $"Lab node {node.Name} exited at start (code {_processes[index].ExitCode}).");
                }
                try
                {
                    var info = await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: LabNode.Deadline(2)).ConfigureAwait(false);
                    if (_nodes.Count > 1 && info.PeerCount == 0)
                    {
                        return false;
                    }
                }
                catch (Grpc.Core.RpcException)
                {
                    return false;
                }
            }
            return true;
        }, TimeSpan.FromSeconds(90)).ConfigureAwait(false);
        await WaitForOneTipAsync(progress, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until every node is on one tip and returns its height. Two branches of equal work
    /// can stand forever (first seen wins ties) — whenever two lab miners find blocks closer
    /// together than the network carries them, as on a busy machine — so after a while one more
    /// block breaks the tie, found on the first node on top of the rest; the caller may leave those out.
    /// </summary>
    public async Task<(uint Height, uint TieBreaks)> ConvergeAsync(Progress progress)
    {
        for (var tieBreaks = 0u; ; tieBreaks++)
        {
            try
            {
                // The last try is patient: a node that is merely slow (a busy machine) gets a minute.
                await WaitForOneTipAsync(progress, TimeSpan.FromSeconds(tieBreaks < 3 ? 5 : 60)).ConfigureAwait(false);
                return ((await ChainLab.InfoAsync(Nodes[0]).ConfigureAwait(false)).Height, tieBreaks);
            }
            catch (TimeoutException) when (tieBreaks < 3)
            {
                await MineAsync(1, TimeSpan.Zero, 1, poisson: false).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits until every node's tip is the same block.</summary>
    public async Task WaitForOneTipAsync(Progress progress, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(progress);
        await progress.UntilAsync("every lab node on one tip", async () =>
        {
            var tips = new HashSet<string>();
            foreach (var node in _nodes)
            {
                tips.Add(Convert.ToHexStringLower((await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: LabNode.Deadline()).ConfigureAwait(false)).TipHash.Span));
            }
            return tips.Count == 1;
        }, timeout).ConfigureAwait(false);
    }

    /// <summary>
    /// Finds <paramref name="blocks"/> blocks, one at a time among <paramref name="miners"/>
    /// (the first nodes) chosen at random, each on its own node's tip. Proof of work finds
    /// blocks as a Poisson process: with <paramref name="poisson"/> the gaps are exponential with
    /// the given mean (so two miners sometimes find blocks close together, as in a real network);
    /// without, they are exactly <paramref name="interval"/> apart (so blocks never overlap
    /// while propagation is measured). Returns when the last one was found.
    /// </summary>
    public async Task MineAsync(int miners, TimeSpan interval, int blocks, bool poisson)
    {
        var finds = new List<Task>();
        var clock = Stopwatch.StartNew();
        var next = TimeSpan.Zero;
        for (var i = 0; i < blocks; i++)
        {
            next += poisson ? TimeSpan.FromMilliseconds(-Math.Log(1 - Random.Shared.NextDouble()) * interval.TotalMilliseconds) : interval;
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }
            var miner = Random.Shared.Next(Math.Min(miners, _nodes.Count));
            finds.Add(_nodes[miner].Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 1, Address = _minerAddresses[miner] }, deadline: LabNode.Deadline(30)).ResponseAsync);
        }
        await Task.WhenAll(finds).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }
        if (_emulated is { } emulated)
        {
            EmulatedNetwork.Detach(emulated.Network, _members);
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
