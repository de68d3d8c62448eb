using LedgerContrast.TestSupport;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Block = LedgerContrast.Shared.Chain.Block;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.ChainNode.Tests.Network;

/// <summary>No perimeter, so every node defends itself: a peer that sends invalid data is banned, and the data goes no further.</summary>
public class BanTests
{
    [Fact]
    public async Task A_peer_that_sends_an_invalid_block_is_banned_and_the_block_is_not_relayed()
    {
        await using var network = await TestNetwork.LineAsync(2);
        var victim = network[0];
        await victim.MineAsync(3, Keys.Miner);
        await network.WaitForSameTipAsync();
        var tipBefore = victim.Tip.Hash;

        // A well-formed block with valid proof of work whose coinbase pays itself 1,000 units.
        var greedy = Transaction.CreateCoinbase(victim.Tip.Height + 1, [new TxOutput(Amount.FromUnits(1_000), Keys.Carol.PublicKey.ToArray())]);
        var template = victim.Engine.CreateTemplate(Keys.Carol.PublicKey.ToArray());
        var header = template.Header with { MerkleRoot = MerkleTree.ComputeRoot([greedy.Wtxid]) };
        var invalid = NetworkBlocks.Mine(new Block(header, [greedy]));

        await using var evil = await EvilPeer.StartAsync();
        evil.Blocks = _ => [invalid];
        var victimPeers = await evil.ConnectVerifiedAsync(victim);

        var inventory = Announcements.OfBlocks(invalid.Hash);
        await victimPeers.AnnounceAsync(inventory);

        // The ban and the removal from the peer list are two steps on another thread: wait for both.
        await Poll.UntilAsync(() => victim.Peers.IsBanned(evil.NodeId) && victim.Peers.Peers.All(p => p.NodeId != evil.NodeId), TestNetwork.DefaultTimeout);
        var again = await Assert.ThrowsAsync<RpcException>(async () => await victimPeers.AnnounceAsync(inventory));
        Assert.Equal("NOT_CONNECTED", RpcErrors.Describe(again).Reason); // its session is gone
        var rejoin = await Assert.ThrowsAsync<RpcException>(async () => await evil.ConnectAsync(victim));
        Assert.Equal("BANNED", RpcErrors.Describe(rejoin).Reason);
        Assert.Contains($"sent invalid block {invalid.Hash}", RpcErrors.Describe(rejoin).Message); // told why
        Assert.Equal(tipBefore, victim.Tip.Hash);

        // The honest neighbour never hears of it: relay happens only for blocks that joined the chain.
        await network[1].MineAsync(1, Keys.Bob);
        await network.WaitForSameTipAsync();
        Assert.False(network[1].Engine.HasBlock(invalid.Hash));
    }

    [Fact]
    public async Task A_node_of_another_network_is_refused_at_the_handshake()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var client = new PeerService.PeerServiceClient(GrpcChannel.ForAddress(network[0].Url));
        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.HandshakeAsync(new Hello
        {
            NetworkId = ByteString.CopyFrom(new byte[32]),
            ProtocolVersion = PeerManager.ProtocolVersion,
            NodeId = "stranger",
            ListenAddress = "127.0.0.1:1",
            Nonce = ByteString.CopyFrom(new byte[16]),
        }));
        Assert.Equal("WRONG_NETWORK", RpcErrors.Describe(error).Reason);
        Assert.Empty(network[0].Peers.Peers);
    }
}
