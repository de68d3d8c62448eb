using Grpc.Core;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.Protos.Chain.V1;

namespace LedgerContrast.ChainNode.Api;

/// <summary>Node-to-node traffic; the peer manager decides everything.</summary>
public sealed class PeerGrpcService(PeerManager peers) : PeerService.PeerServiceBase
{
    public override Task<HelloReply> Handshake(Hello request, ServerCallContext context) => Task.FromResult(peers.OnHandshake(request));

    public override Task<InventoryReply> Announce(Inventory request, ServerCallContext context)
    {
        peers.OnAnnounce(request);
        return Task.FromResult(new InventoryReply());
    }

    public override Task<GetBlocksReply> GetBlocks(GetBlocksRequest request, ServerCallContext context) => Task.FromResult(peers.OnGetBlocks(request));

    public override Task<GetTransactionsReply> GetTransactions(GetTransactionsRequest request, ServerCallContext context) => Task.FromResult(peers.OnGetTransactions(request));

    public override Task<LocatorReply> FindBlocksAfter(LocatorRequest request, ServerCallContext context) => Task.FromResult(peers.OnFindBlocksAfter(request));

    public override Task<GetAddressesReply> GetAddresses(GetAddressesRequest request, ServerCallContext context) => Task.FromResult(peers.OnGetAddresses());
}
