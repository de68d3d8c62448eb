using LedgerContrast.TestSupport;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using static LedgerContrast.ChainNode.Tests.Harness.Keys;
using OutPoint = LedgerContrast.Shared.Chain.OutPoint;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxInput = LedgerContrast.Shared.Chain.TxInput;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.ChainNode.Tests.Network;

/// <summary>Several real nodes on loopback; each scenario is named for what it proves.</summary>
public class NetworkScenarioTests
{
    private const long Reward = 50 * 100_000_000L;

    [Fact]
    public async Task Five_nodes_in_a_line_converge_on_one_tip_after_mining_at_both_ends()
    {
        await using var network = await TestNetwork.LineAsync(5);

        await Task.WhenAll(network[0].MineAsync(3, Alice), network[4].MineAsync(4, Bob));

        // Branches of equal work can stand side by side (first seen wins ties): as in any
        // proof-of-work network, the next block decides. The middle node mines until all agree.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await network.WaitForSameTipAsync(timeout: TimeSpan.FromSeconds(3));
                break;
            }
            catch (TimeoutException) when (attempt < 10)
            {
                await network[2].MineAsync(1, Carol);
            }
        }
        Assert.True(network[2].Tip.Height >= 4); // at least the longer of the two branches
        Assert.All(network.Nodes, n => Assert.Empty(n.Engine.Verify()));
        // Every node has heard its neighbours announce blocks, and says how far they are.
        await Poll.UntilAsync(() => network.Nodes.All(n => n.Peers.Peers.All(p => p.BestHeight >= 3)), TestNetwork.DefaultTimeout);
    }

    [Fact]
    public async Task A_node_started_after_200_blocks_catches_up_by_locator_sync()
    {
        await using var network = new TestNetwork();
        var first = await network.StartNodeAsync([]);
        await first.MineAsync(200, Alice);

        var late = await network.StartNodeAsync([first.Address]);

        await network.WaitForSameTipAsync();
        Assert.Equal(200u, late.Tip.Height);
    }

    [Fact]
    public async Task Conflicting_spends_sent_to_two_nodes_at_once_end_with_one_winner_everywhere()
    {
        await using var network = await TestNetwork.MeshAsync(3);
        var coinbase = await FundAsync(network, network[0], Alice);
        var toBob = Sign(network[0], coinbase, Bob);
        var toCarol = Sign(network[0], coinbase, Carol);

        // Both at the same moment: whichever reaches a node first (directly or relayed) is the one it keeps.
        using var start = new Barrier(2);
        async Task<bool> SubmitAsync(NetworkNode node, Transaction tx)
        {
            start.SignalAndWait();
            try
            {
                await node.Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = tx.ToProto() });
                return true;
            }
            catch (Grpc.Core.RpcException ex) when (Shared.Rpc.RpcErrors.Describe(ex).Reason == "MEMPOOL_CONFLICT")
            {
                return false;
            }
        }
        var accepted = await Task.WhenAll(Task.Run(() => SubmitAsync(network[0], toBob)), Task.Run(() => SubmitAsync(network[1], toCarol)));

        Assert.Contains(true, accepted);
        await Poll.UntilAsync(() => network.Nodes.All(n => (n.Pending(toBob.Txid) is null) != (n.Pending(toCarol.Txid) is null)), TestNetwork.DefaultTimeout,
            () => $"accepted {accepted[0]},{accepted[1]}; pools: " + string.Join(" | ", network.Nodes.Select(n => $"bob={n.Pending(toBob.Txid) is not null} carol={n.Pending(toCarol.Txid) is not null} peers={n.Peers.Peers.Count} status={n.StatusOf(toBob).State}/{n.StatusOf(toCarol).State}")));
        Assert.NotNull(network[0].Pending(accepted[0] ? toBob.Txid : toCarol.Txid));
        Assert.NotNull(network[1].Pending(accepted[1] ? toCarol.Txid : toBob.Txid));

        await network[2].MineAsync(1, Miner);
        await network.WaitForSameTipAsync();

        var winner = network[2].StatusOf(toBob).State == TransactionState.Confirmed ? toBob : toCarol;
        var loser = winner == toBob ? toCarol : toBob;
        await Poll.UntilAsync(() => network.Nodes.All(n => n.StatusOf(loser).ConflictingTxid == winner.Txid), TimeSpan.FromSeconds(10),
            () => $"winner {(winner == toBob ? "bob" : "carol")}; " + string.Join(" | ", network.Nodes.Select(n => $"{n.StatusOf(loser)} / {n.StatusOf(winner).State}")));
        Assert.All(network.Nodes, n =>
        {
            Assert.Equal(TransactionState.Confirmed, n.StatusOf(winner).State);
            Assert.Equal((TransactionState.Conflicted, winner.Txid), (n.StatusOf(loser).State, n.StatusOf(loser).ConflictingTxid));
        });
    }

    [Fact]
    public async Task A_double_spend_refused_where_it_entered_is_still_relayed_so_every_node_reports_it_conflicted()
    {
        await using var network = await TestNetwork.MeshAsync(3);
        var coinbase = await FundAsync(network, network[0], Alice);
        var toBob = Sign(network[0], coinbase, Bob);
        var toCarol = Sign(network[0], coinbase, Carol);
        await network[0].Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = toBob.ToProto() });
        await Poll.UntilAsync(() => network.Nodes.All(n => n.Pending(toBob.Txid) is not null), TestNetwork.DefaultTimeout);

        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await network[1].Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = toCarol.ToProto() }));
        Assert.Equal("MEMPOOL_CONFLICT", Shared.Rpc.RpcErrors.Describe(refused).Reason);

        // Every node hears of the attempt (double-spend relay) and flags it before any block…
        await Poll.UntilAsync(() => network.Nodes.All(n => n.StatusOf(toCarol).State == TransactionState.Conflicted), TestNetwork.DefaultTimeout);
        // …and once a block decides, names the winner.
        await network[0].MineAsync(1, Miner);
        await network.WaitForSameTipAsync();
        await Poll.UntilAsync(() => network.Nodes.All(n => n.StatusOf(toCarol).ConflictingTxid == toBob.Txid
            && n.StatusOf(toBob).State == TransactionState.Confirmed), TestNetwork.DefaultTimeout);
        Assert.All(network.Nodes, n => Assert.DoesNotContain(n.Peers.Peers, p => n.Peers.IsBanned(p.NodeId))); // relaying it is not misbehaviour
        // Asked by the first 10 characters, as the lab prints it, each node still shows what the loser spent and paid.
        foreach (var node in network.Nodes)
        {
            var reply = await node.Api.GetTransactionAsync(new GetTransactionRequest { TxidPrefix = toCarol.Txid.ToString()[..10] });
            Assert.Equal((Protos.Chain.V1.TransactionStatus.Types.State.Conflicted, toCarol.Txid), (reply.Status.State, new Shared.Hashing.Hash256(reply.Txid.Span)));
            Assert.Equal(coinbase.Txid, ChainProto.FromProto(reply.Transaction).Inputs[0].PreviousOutput.Txid);
        }
    }

    [Fact]
    public async Task After_a_partition_heals_the_heavier_side_wins_and_the_minority_payment_is_reversed()
    {
        await using var network = await TestNetwork.MeshAsync(4);
        var coinbase = await FundAsync(network, network[0], Alice);
        NetworkNode[] minority = [network[0], network[1]], majority = [network[2], network[3]];

        // Partition: each side removes the other.
        foreach (var a in minority)
        {
            foreach (var b in majority)
            {
                await a.Api.RemovePeerAsync(new PeerRequest { Address = b.Address });
                await b.Api.RemovePeerAsync(new PeerRequest { Address = a.Address });
            }
        }
        await Poll.UntilAsync(() => minority.All(n => n.Peers.Peers.Count == 1) && majority.All(n => n.Peers.Peers.Count == 1), TestNetwork.DefaultTimeout);

        var toBob = Sign(network[0], coinbase, Bob);
        await minority[0].Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = toBob.ToProto() });
        await minority[0].MineAsync(2, Miner);
        await network.WaitForSameTipAsync(minority);
        Assert.Equal(2u, minority[1].StatusOf(toBob).Confirmations);

        var toCarol = Sign(network[0], coinbase, Carol);
        await majority[0].Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = toCarol.ToProto() });
        await majority[0].MineAsync(4, Miner);
        await network.WaitForSameTipAsync(majority);

        // Heal.
        foreach (var a in minority)
        {
            foreach (var b in majority)
            {
                await b.Api.AddPeerAsync(new PeerRequest { Address = a.Address });
                await a.Api.AddPeerAsync(new PeerRequest { Address = b.Address });
            }
        }

        await network.WaitForSameTipAsync();
        Assert.Equal(majority[0].Tip.Hash, minority[0].Tip.Hash);
        foreach (var node in minority)
        {
            Assert.Equal((TransactionState.Conflicted, toCarol.Txid), (node.StatusOf(toBob).State, node.StatusOf(toBob).ConflictingTxid));
            var tips = await node.Api.GetChainTipsAsync(new GetChainTipsRequest());
            Assert.Contains(tips.Tips, t => t.Status == ChainTip.Types.Status.ValidFork && t.BranchLength == 2);
        }
    }

    /// <summary>Mines a coinbase to <paramref name="owner"/> and matures it, everywhere.</summary>
    [Fact]
    public async Task Each_peer_counts_the_gossip_bytes_it_exchanges_and_a_synced_block_shows_on_both_ends()
    {
        await using var network = await TestNetwork.LineAsync(2);
        var hashes = await network[0].MineAsync(5, Miner);
        await network.WaitForSameTipAsync();
        var blockBytes = hashes.Sum(h => (long)network[0].Engine.FindBlock(h)!.ToProto().CalculateSize());

        await Poll.UntilAsync(() =>
        {
            var sender = Assert.Single(network[0].Api.ListPeers(new ListPeersRequest()).Peers);
            var receiver = Assert.Single(network[1].Api.ListPeers(new ListPeersRequest()).Peers);
            return (long)sender.BytesSent >= blockBytes && (long)receiver.BytesReceived >= blockBytes && receiver.BytesSent > 0 && sender.BytesReceived > 0;
        }, TimeSpan.FromSeconds(30), () => $"blocks {blockBytes} bytes; node0 sent {network[0].Api.ListPeers(new ListPeersRequest()).Peers[0].BytesSent}, node1 received {network[1].Api.ListPeers(new ListPeersRequest()).Peers[0].BytesReceived}");
    }

    [Fact]
    public async Task After_a_remove_both_sides_drop_the_peer_so_peer_counts_stay_true()
    {
        await using var network = await TestNetwork.LineAsync(2);

        await network[0].Api.RemovePeerAsync(new PeerRequest { Address = network[1].Address });

        await Poll.UntilAsync(() => network[0].Peers.Peers.Count == 0 && network[1].Peers.Peers.Count == 0, TimeSpan.FromSeconds(30),
            () => $"peers: {network[0].Peers.Peers.Count} and {network[1].Peers.Peers.Count}");
    }

    [Fact]
    public async Task A_killed_peer_leaves_the_peer_lists_of_the_others_without_any_traffic()
    {
        await using var network = await TestNetwork.MeshAsync(3);

        await network[2].StopAsync();

        await Poll.UntilAsync(() => network[0].Peers.Peers.Count == 1 && network[1].Peers.Peers.Count == 1, TimeSpan.FromSeconds(60),
            () => $"peers: {network[0].Peers.Peers.Count} and {network[1].Peers.Peers.Count}");
    }

    [Fact]
    public async Task A_payment_a_client_gave_this_node_is_rebroadcast_until_a_peer_that_joined_later_holds_it()
    {
        await using var network = new TestNetwork();
        var first = await network.StartNodeAsync([], configure: o => o with { RebroadcastInterval = TimeSpan.FromSeconds(1) });
        var payment = Sign(first, await FundAsync(network, first, Alice), Bob);
        await first.Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = payment.ToProto() });

        var late = await network.StartNodeAsync([first.Address]);
        await network.WaitForSameTipAsync();

        await Poll.UntilAsync(() => late.Pending(payment.Txid) is not null, TestNetwork.DefaultTimeout, () => "the late peer never heard of the payment");
    }

    private static Task<Transaction> FundAsync(TestNetwork network, NetworkNode node, Shared.Crypto.PrivateKey owner) => NetworkBlocks.FundAsync(network, node, owner);

    private static Transaction Sign(NetworkNode node, Transaction funding, Shared.Crypto.PrivateKey to) => NetworkBlocks.Pay(node, funding, Alice, to);

    [Fact]
    public async Task A_peer_restarted_on_the_same_port_is_listed_once_not_as_a_ghost_beside_itself()
    {
        await using var network = await TestNetwork.LineAsync(2);
        var (hub, leaf) = (network[0], network[1]);
        var port = new Uri(leaf.Url).Port;
        await leaf.StopAsync();

        await using var restarted = await NetworkNode.StartAsync(leaf.Options with { Port = port }); // dials the hub again

        // No block is mined meanwhile, so no failing announcement would ever reveal the dead process:
        // the moment the new one is verified at that address, the old entry must be gone.
        await Poll.UntilAsync(() => hub.Peers.Peers.Any(p => p.NodeId == restarted.Peers.NodeId), TestNetwork.DefaultTimeout);
        Assert.Equal([restarted.Peers.NodeId], hub.Peers.Peers.Select(p => p.NodeId));
    }
}
