using Grpc.Core;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.Protos.Chain.V1;

namespace LedgerContrast.ChainNode.Api;

/// <summary>Node-to-node traffic; the peer manager decides everything. The caller is whoever holds the call's session.</summary>
public sealed class PeerGrpcService(PeerManager peers) : PeerService.PeerServiceBase
{
    public override Task<HelloReply> Handshake(Hello request, ServerCallContext context) =>
        Task.FromResult(peers.OnHandshake(request, context?.Peer ?? ""));

    public override Task<InventoryReply> Announce(Inventory request, ServerCallContext context)
    {
        peers.OnAnnounce(request, Session(context));
        return Task.FromResult(new InventoryReply());
    }

    public override Task<PushBlockReply> PushBlock(PushBlockRequest request, ServerCallContext context) => peers.OnPushBlockAsync(request, Session(context));

    public override Task<GetBlocksReply> GetBlocks(GetBlocksRequest request, ServerCallContext context) => Task.FromResult(peers.OnGetBlocks(request, Session(context)));

    public override Task<GetTransactionsReply> GetTransactions(GetTransactionsRequest request, ServerCallContext context) => Task.FromResult(peers.OnGetTransactions(request, Session(context)));

    public override Task<LocatorReply> FindBlocksAfter(LocatorRequest request, ServerCallContext context) => Task.FromResult(peers.OnFindBlocksAfter(request, Session(context)));

    public override Task<HeadersReply> GetHeaders(HeadersRequest request, ServerCallContext context) => Task.FromResult(peers.OnGetHeaders(request, Session(context)));

    public override Task<GetAddressesReply> GetAddresses(GetAddressesRequest request, ServerCallContext context) => Task.FromResult(peers.OnGetAddresses(Session(context)));

    private static string? Session(ServerCallContext? context) => context?.RequestHeaders.GetValue(Peer.SessionHeader);
}
