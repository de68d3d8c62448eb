using System.Net;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Block = LedgerContrast.Shared.Chain.Block;

namespace LedgerContrast.ChainNode.Tests.Harness;

/// <summary>
/// A cheap hostile peer: a real gRPC server speaking the peer protocol (it vouches for its own
/// dial-backs like any node) whose answers the test scripts, and a client that shakes hands
/// with a victim and then sends whatever the test wants under its session.
/// </summary>
public sealed class EvilPeer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EvilPeerService _service;
    private readonly List<GrpcChannel> _channels = [];

    private EvilPeer(WebApplication app, EvilPeerService service)
    {
        _app = app;
        _service = service;
    }

    public string Address => PeerAddress.Parse(_app.Urls.First()).ToString();
    public string NodeId { get; } = "evil-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>What GetTransactions answers (default: nothing).</summary>
    public Func<GetTransactionsRequest, IEnumerable<Protos.Chain.V1.Transaction>> Transactions { set => _service.Transactions = value; }

    /// <summary>What GetBlocks answers (default: nothing).</summary>
    public Func<GetBlocksRequest, IEnumerable<Block>> Blocks { set => _service.Blocks = value; }

    /// <summary>What GetHeaders answers (default: nothing).</summary>
    public Func<HeadersRequest, IEnumerable<Shared.Chain.BlockHeader>> Headers { set => _service.Headers = value; }

    /// <summary>Whether it takes pushed blocks; false answers UNIMPLEMENTED, as a node of an earlier release would.</summary>
    public bool TakesPushes { set => _service.TakesPushes = value; }

    /// <summary>Block hashes pushed to it (bodies) and announced to it (hashes), in arrival order.</summary>
    public IReadOnlyList<Shared.Hashing.Hash256> Pushed => [.. _service.Pushed];
    public IReadOnlyList<Shared.Hashing.Hash256> Announced => [.. _service.Announced];

    public int GetBlocksCalls => Volatile.Read(ref _service.GetBlocksCalls);
    public int GetHeadersCalls => Volatile.Read(ref _service.GetHeadersCalls);

    public static async Task<EvilPeer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(grpc => grpc.MaxSendMessageSize = PeerManager.MaxMessageBytes);
        var service = new EvilPeerService();
        builder.Services.AddSingleton(service);
        var app = builder.Build();
        app.MapGrpcService<EvilPeerService>();
        await app.StartAsync();
        return new EvilPeer(app, service);
    }

    /// <summary>
    /// Shakes hands with <paramref name="victim"/> claiming <paramref name="claimedAddress"/> (its
    /// own by default) and <paramref name="claimedNodeId"/>; returns a client whose calls carry the session.
    /// </summary>
    public Task<PeerService.PeerServiceClient> ConnectAsync(NetworkNode victim, string? claimedAddress = null, string? claimedNodeId = null, byte[]? claimedWork = null)
    {
        ArgumentNullException.ThrowIfNull(victim);
        return ConnectAsync(victim.Url, victim.Engine.NetworkId.ToArray(), claimedAddress, claimedNodeId, claimedWork);
    }

    /// <summary>The same against a node in another process, named by URL and network id.</summary>
    public async Task<PeerService.PeerServiceClient> ConnectAsync(string victimUrl, byte[] networkId, string? claimedAddress = null, string? claimedNodeId = null, byte[]? claimedWork = null)
    {
        var nonce = RandomNumberGenerator.GetBytes(16);
        _service.OurNonces[Convert.ToHexString(nonce)] = claimedNodeId ?? NodeId;
        var channel = GrpcChannel.ForAddress(victimUrl, new GrpcChannelOptions { MaxSendMessageSize = PeerManager.MaxMessageBytes });
        _channels.Add(channel);
        var reply = await new PeerService.PeerServiceClient(channel).HandshakeAsync(new Hello
        {
            NetworkId = ByteString.CopyFrom(networkId),
            ProtocolVersion = PeerManager.ProtocolVersion,
            NodeId = claimedNodeId ?? NodeId,
            ListenAddress = claimedAddress ?? Address,
            BestHash = ByteString.CopyFrom(new byte[32]),
            BestWork = ByteString.CopyFrom(claimedWork ?? [0]),
            Nonce = ByteString.CopyFrom(nonce),
        });
        var session = reply.Session;
        return new PeerService.PeerServiceClient(channel.CreateCallInvoker().Intercept(metadata =>
        {
            metadata.Add(Peer.SessionHeader, session);
            return metadata;
        }));
    }

    /// <summary>Connects and waits until the victim has verified this peer by dialling it back.</summary>
    public async Task<PeerService.PeerServiceClient> ConnectVerifiedAsync(NetworkNode victim, byte[]? claimedWork = null)
    {
        var client = await ConnectAsync(victim, claimedWork: claimedWork);
        await Poll.UntilAsync(() => victim.Peers.Peers.Any(p => p.NodeId == NodeId), TestNetwork.DefaultTimeout);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        _channels.ForEach(c => c.Dispose());
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class EvilPeerService : PeerService.PeerServiceBase
    {
        /// <summary>The nonce of each of its handshakes and the node id it claimed there; written by the test while dial-backs read it.</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<string, string> OurNonces { get; } = new();
        public Func<GetBlocksRequest, IEnumerable<Block>> Blocks { get; set; } = _ => [];
        public Func<GetTransactionsRequest, IEnumerable<Protos.Chain.V1.Transaction>> Transactions { get; set; } = _ => [];
        public Func<HeadersRequest, IEnumerable<Shared.Chain.BlockHeader>> Headers { get; set; } = _ => [];

        public override Task<GetTransactionsReply> GetTransactions(GetTransactionsRequest request, ServerCallContext context)
        {
            var reply = new GetTransactionsReply();
            reply.Transactions.AddRange(Transactions(request));
            return Task.FromResult(reply);
        }
        public int GetBlocksCalls;
        public int GetHeadersCalls;

        public override Task<HeadersReply> GetHeaders(HeadersRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref GetHeadersCalls);
            var reply = new HeadersReply();
            reply.Headers.AddRange(Headers(request).Select(h => h.ToProto()));
            return Task.FromResult(reply);
        }

        public override Task<HelloReply> Handshake(Hello request, ServerCallContext context)
        {
            // Vouches for dial-backs of its own handshakes, like an honest node, under the id it claimed in that handshake.
            var claimedId = "evil-server";
            if (!request.VouchNonce.IsEmpty && !OurNonces.TryGetValue(Convert.ToHexString(request.VouchNonce.Span), out claimedId))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, "UNKNOWN_NONCE"));
            }
            return Task.FromResult(new HelloReply
            {
                Node = new Hello { NetworkId = request.NetworkId, ProtocolVersion = PeerManager.ProtocolVersion, NodeId = claimedId, ListenAddress = "", Nonce = ByteString.CopyFrom(new byte[16]), BestWork = ByteString.CopyFrom([0]) },
                Session = "evil-session",
            });
        }

        public bool TakesPushes { get; set; } = true;
        public System.Collections.Concurrent.ConcurrentQueue<Shared.Hashing.Hash256> Pushed { get; } = new();
        public System.Collections.Concurrent.ConcurrentQueue<Shared.Hashing.Hash256> Announced { get; } = new();

        public override Task<InventoryReply> Announce(Inventory request, ServerCallContext context)
        {
            foreach (var hash in request.BlockHashes)
            {
                Announced.Enqueue(new Shared.Hashing.Hash256(hash.Span));
            }
            return Task.FromResult(new InventoryReply());
        }

        public override Task<PushBlockReply> PushBlock(PushBlockRequest request, ServerCallContext context)
        {
            if (!TakesPushes)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "Method is unimplemented."));
            }
            Pushed.Enqueue(ChainProto.FromProto(request.Block).Hash);
            return Task.FromResult(new PushBlockReply());
        }

        public override Task<GetBlocksReply> GetBlocks(GetBlocksRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref GetBlocksCalls);
            var reply = new GetBlocksReply();
            reply.Blocks.AddRange(Blocks(request).Select(b => b.ToProto()));
            return Task.FromResult(reply);
        }
    }
}

/// <summary>What a peer announces: block hashes, as the protocol carries them.</summary>
public static class Announcements
{
    public static Inventory OfBlocks(params Shared.Hashing.Hash256[] hashes) => OfBlocks(hashes.AsEnumerable());

    public static Inventory OfBlocks(IEnumerable<Shared.Hashing.Hash256> hashes)
    {
        var inventory = new Inventory();
        inventory.BlockHashes.AddRange(hashes.Select(h => ByteString.CopyFrom(h.ToArray())));
        return inventory;
    }
}
