using LedgerContrast.TestSupport;
using System.Diagnostics;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Hosting;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Addresses;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TransactionStatus = LedgerContrast.ChainNode.Node.TransactionStatus;

namespace LedgerContrast.ChainNode.Tests.Harness;

/// <summary>
/// Real nodes — Kestrel on 127.0.0.1 port 0, each with its own temp data directory — wired into
/// a topology, with waits that poll against a deadline (Stratis' NodeBuilder, in spirit):
/// <c>await network.WaitForSameTipAsync()</c>.
/// </summary>
public sealed class TestNetwork : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    private readonly List<NetworkNode> _nodes = [];

    public IReadOnlyList<NetworkNode> Nodes => _nodes;
    public NetworkNode this[int index] => _nodes[index];

    public static async Task<TestNetwork> LineAsync(int count, int coinbaseMaturity = 2)
    {
        var network = new TestNetwork();
        for (var i = 0; i < count; i++)
        {
            await network.StartNodeAsync(i == 0 ? [] : [network[i - 1].Address], coinbaseMaturity);
        }
        await network.WaitForPeersAsync(n => count == 1 ? 0 : n == network.Nodes[0] || n == network.Nodes[^1] ? 1 : 2);
        return network;
    }

    public static async Task<TestNetwork> MeshAsync(int count, int coinbaseMaturity = 2)
    {
        var network = new TestNetwork();
        for (var i = 0; i < count; i++)
        {
            await network.StartNodeAsync([.. network.Nodes.Select(n => n.Address)], coinbaseMaturity);
        }
        await network.WaitForPeersAsync(_ => count - 1);
        return network;
    }

    public async Task<NetworkNode> StartNodeAsync(IReadOnlyList<string> peers, int coinbaseMaturity = 2, string? dataDirectory = null, int outbound = 1,
        Func<NodeOptions, NodeOptions>? configure = null)
    {
        var options = new NodeOptions
        {
            DataDirectory = dataDirectory ?? TempDirectory.NewPath("lc-net-test-"),
            Port = 0,
            Peers = peers,
            Regtest = true,
            CoinbaseMaturity = coinbaseMaturity,
            TargetOutboundPeers = outbound,
            BanDuration = TimeSpan.FromMinutes(10),
        };
        var node = await NetworkNode.StartAsync(configure is null ? options : configure(options));
        _nodes.Add(node);
        return node;
    }

    public Task WaitForSameTipAsync(IEnumerable<NetworkNode>? nodes = null, TimeSpan? timeout = null)
    {
        var group = (nodes ?? _nodes).ToList();
        return Poll.UntilAsync(() => group.Select(n => n.Tip.Hash).Distinct().Count() == 1, timeout ?? DefaultTimeout,
            () => "tips: " + string.Join(", ", group.Select(n => $"{n.Tip.Height}:{n.Tip.Hash.ToString()[..8]}")));
    }

    public Task WaitForPeersAsync(Func<NetworkNode, int> expected, TimeSpan? timeout = null) =>
        Poll.UntilAsync(() => _nodes.All(n => n.Peers.Peers.Count >= expected(n)), timeout ?? DefaultTimeout,
            () => "peer counts: " + string.Join(", ", _nodes.Select(n => n.Peers.Peers.Count)));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}

/// <summary>One in-process node of a <see cref="TestNetwork"/>.</summary>
public sealed class NetworkNode : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private WebApplication? _app;

    private NetworkNode(WebApplication app, NodeOptions options)
    {
        _app = app;
        Options = options;
        Url = app.Urls.First();
        Address = PeerAddress.Parse(Url).ToString();
        _channel = GrpcChannel.ForAddress(Url);
        var cookie = NodeCookieFile.TryRead(options.DataDirectory);
        Api = new NodeService.NodeServiceClient(_channel.CreateCallInvoker().Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + cookie);
            return metadata;
        }));
        Engine = app.Services.GetRequiredService<NodeEngine>();
        Peers = app.Services.GetRequiredService<PeerManager>();
    }

    public NodeOptions Options { get; }
    public string Url { get; }
    public string Address { get; }
    public NodeService.NodeServiceClient Api { get; }
    public NodeEngine Engine { get; }
    public PeerManager Peers { get; }
    public ChainNode.Consensus.BlockIndexEntry Tip => Engine.Read(n => n.Chain.Tip);

    public static async Task<NetworkNode> StartAsync(NodeOptions options)
    {
        var app = ChainNodeHost.Build(options, LogLevel.Warning);
        await app.StartAsync();
        return new NetworkNode(app, options);
    }

    public string AddressOf(PrivateKey key) => new Address(Engine.Parameters.AddressPrefix, key.PublicKey).ToString();

    public async Task<IReadOnlyList<Hash256>> MineAsync(int blocks, PrivateKey to)
    {
        var reply = await Api.GenerateBlocksAsync(new GenerateBlocksRequest { Count = (uint)blocks, Address = AddressOf(to) });
        return [.. reply.BlockHashes.Select(h => ChainProto.HashFromProto(h, "block"))];
    }

    public Transaction? Pending(Hash256 txid) => Engine.Read(n => n.Pool.Find(txid)?.Transaction);

    public TransactionStatus StatusOf(Transaction tx) => Engine.StatusOf(tx.Txid);

    public async Task StopAsync()
    {
        if (_app is null)
        {
            return;
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await StopAsync();
        TempDirectory.Delete(Options.DataDirectory);
    }
}
