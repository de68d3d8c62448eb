using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Rpc;
using LedgerContrast.TestSupport;
using Block = LedgerContrast.Shared.Chain.Block;
using OutPoint = LedgerContrast.Shared.Chain.OutPoint;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxInput = LedgerContrast.Shared.Chain.TxInput;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.ChainNode.Tests.Network;

/// <summary>
/// One cheap hostile peer against an honest node, case by case (Bitcoin Core's
/// p2p_invalid_block.py, p2p_mutated_blocks.py, p2p_eviction.py): the node stays on the honest
/// chain, punishes only the sender, and keeps its resources bounded.
/// </summary>
public class HostilePeerTests
{
    [Fact]
    public async Task A_block_whose_body_was_altered_in_transit_is_still_accepted_from_an_honest_peer_who_is_not_banned()
    {
        await using var network = new TestNetwork();
        var victim = await network.StartNodeAsync([]);
        var honest = await network.StartNodeAsync([]);
        var mined = await honest.MineAsync(3, Keys.Miner);
        var real = honest.Engine.FindBlock(mined[0])!;
        // The real header (valid work) with another body: a coinbase paying someone else.
        var mutated = new Block(real.Header, [Transaction.CreateCoinbase(1, [new TxOutput(Amount.FromUnits(1), Keys.Carol.PublicKey.ToArray())])]);
        Assert.Equal(real.Hash, mutated.Hash);

        await using var evil = await EvilPeer.StartAsync();
        evil.Blocks = _ => [mutated];
        var evilClient = await evil.ConnectVerifiedAsync(victim);
        await evilClient.AnnounceAsync(Announcements.OfBlocks(real.Hash));
        await Poll.UntilAsync(() => victim.Peers.IsBanned(evil.NodeId), TestNetwork.DefaultTimeout);

        await victim.Api.AddPeerAsync(new PeerRequest { Address = honest.Address });
        await network.WaitForSameTipAsync([victim, honest]);

        Assert.Equal(honest.Tip.Hash, victim.Tip.Hash);
        await Poll.UntilAsync(() => victim.Peers.Peers.Any(p => p.NodeId == honest.Peers.NodeId), TestNetwork.DefaultTimeout);
        Assert.False(victim.Peers.IsBanned(honest.Peers.NodeId));
    }

    [Fact]
    public async Task A_mutated_copy_of_a_block_does_not_poison_the_real_one()
    {
        using var node = new TestNode();
        await node.MineManyAsync(2, Keys.Miner);
        var real = node.NewBlock().PayingTo(Keys.Miner).Build();
        var mutated = new Block(real.Header, [Transaction.CreateCoinbase(node.Tip.Height + 1, [new TxOutput(Amount.FromUnits(1), Keys.Carol.PublicKey.ToArray())])]);

        var refused = await Assert.ThrowsAsync<ConsensusException>(() => node.Engine.SubmitBlockAsync(mutated));
        var accepted = await node.Engine.SubmitBlockAsync(real);

        Assert.Equal((RejectReasons.BlockBadMerkleRoot, BlockFault.Mutated), (refused.Reason, refused.Fault));
        Assert.Equal(BlockAcceptance.Accepted, accepted.Acceptance);
        Assert.Equal(real.Hash, node.Tip.Hash);
    }

    [Fact]
    public async Task A_block_slightly_in_the_future_is_accepted_once_the_clock_catches_up()
    {
        using var node = new TestNode();
        await node.MineManyAsync(2, Keys.Miner);
        var early = node.NewBlock().PayingTo(Keys.Miner).WithTime(node.Now + (ulong)node.Parameters.MaxFutureBlockTime.TotalMilliseconds + 60_000).Build();

        var refused = await Assert.ThrowsAsync<ConsensusException>(() => node.Engine.SubmitBlockAsync(early));
        Assert.Equal(RejectReasons.BlockTimeTooNew, refused.Reason);
        Assert.False(refused.ProvesMisbehaviour);

        node.Now += 120_000; // the clock catches up
        var accepted = await node.Engine.SubmitBlockAsync(early);
        Assert.Equal(BlockAcceptance.Accepted, accepted.Acceptance);
        Assert.Equal(early.Hash, node.Tip.Hash);
    }

    [Fact]
    public async Task Catch_up_from_a_peer_that_offers_only_blocks_from_the_future_pauses_instead_of_spinning()
    {
        await using var network = new TestNetwork();
        var victim = await network.StartNodeAsync([]);
        await victim.MineAsync(1, Keys.Miner);
        var future = NetworkBlocks.On(victim, timeMs: (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_600_000);
        await using var evil = await EvilPeer.StartAsync();
        evil.Headers = _ => [future.Header];
        evil.Blocks = _ => [future];

        await evil.ConnectVerifiedAsync(victim, claimedWork: [0x7f, 0xff, 0xff, 0xff]); // "I have more work": the victim syncs

        await Poll.UntilAsync(() => victim.Peers.Peers.Any(p => p.NodeId == evil.NodeId && p.SyncPausedUntil > DateTime.UtcNow), TestNetwork.DefaultTimeout);
        Assert.InRange(evil.GetHeadersCalls, 1, 2);
        Assert.Equal(0, evil.GetBlocksCalls); // a header from the future proves no work yet: its block is not fetched
        Assert.False(victim.Peers.IsBanned(evil.NodeId)); // a future block is nobody's fault yet
    }

    [Fact]
    public async Task An_announcement_in_another_peers_name_cannot_get_that_peer_banned()
    {
        await using var network = await TestNetwork.LineAsync(2);
        var (victim, honest) = (network[0], network[1]);
        await using var evil = await EvilPeer.StartAsync();

        // 1. A liar claiming the honest node's id and address is never verified (the honest node does not
        //    vouch for it): its flood costs it its own session, nothing else.
        var liar = await evil.ConnectAsync(victim, claimedAddress: honest.Address, claimedNodeId: honest.Peers.NodeId);
        await liar.AnnounceAsync(Announcements.OfBlocks(Enumerable.Range(0, 10_001).Select(_ => Shared.Hashing.Hash256.Zero)));
        var cutOff = await Assert.ThrowsAsync<RpcException>(async () => await liar.AnnounceAsync(new Inventory()));
        Assert.Equal("NOT_CONNECTED", RpcErrors.Describe(cutOff).Reason);

        // 2. A verified peer that floods in the honest node's name is banned itself; the name it claims is ignored.
        var flooder = await evil.ConnectVerifiedAsync(victim);
        var flood = Announcements.OfBlocks(Enumerable.Range(0, 10_001).Select(_ => Shared.Hashing.Hash256.Zero));
        flood.FromNodeId = honest.Peers.NodeId;
        await flooder.AnnounceAsync(flood);
        await Poll.UntilAsync(() => victim.Peers.IsBanned(evil.NodeId), TestNetwork.DefaultTimeout);

        // 3. A call without a session is refused.
        using var channel = GrpcChannel.ForAddress(victim.Url);
        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await new PeerService.PeerServiceClient(channel).AnnounceAsync(new Inventory()));
        Assert.Equal("NOT_CONNECTED", RpcErrors.Describe(anonymous).Reason);

        Assert.False(victim.Peers.IsBanned(honest.Peers.NodeId));
        Assert.Contains(victim.Peers.Peers, p => p.NodeId == honest.Peers.NodeId);
        await honest.MineAsync(1, Keys.Bob);
        await network.WaitForSameTipAsync();
    }

    [Fact]
    public async Task A_peer_that_sends_a_block_spending_outputs_that_do_not_exist_is_banned_and_the_body_is_not_kept()
    {
        await using var network = new TestNetwork();
        var victim = await network.StartNodeAsync([]);
        await victim.MineAsync(2, Keys.Miner);
        var tipBefore = victim.Tip.Hash;
        var ghost = new Transaction(Transaction.CurrentVersion,
            [TxInput.WithoutSignature(new OutPoint(Shared.Hashing.Hash256.Parse(new string('7', 64)), 0))],
            [new TxOutput(Amount.FromUnits(5), Keys.Carol.PublicKey.ToArray())]);
        var invalid = NetworkBlocks.On(victim, transactions: [ghost]);
        await using var evil = await EvilPeer.StartAsync();
        evil.Blocks = _ => [invalid];

        var client = await evil.ConnectVerifiedAsync(victim);
        await client.AnnounceAsync(Announcements.OfBlocks(invalid.Hash));

        await Poll.UntilAsync(() => victim.Peers.IsBanned(evil.NodeId), TestNetwork.DefaultTimeout);
        Assert.Equal(tipBefore, victim.Tip.Hash);
        Assert.Null(victim.Engine.FindBlock(invalid.Hash)); // the header is remembered as invalid; the body is gone
    }

    [Fact]
    public async Task Blocks_nobody_asked_for_are_not_processed()
    {
        await using var network = new TestNetwork();
        var victim = await network.StartNodeAsync([]);
        await victim.MineAsync(1, Keys.Miner);
        var asked = NetworkBlocks.On(victim);
        var unasked = NetworkBlocks.On(victim, payTo: Keys.Bob);
        await using var evil = await EvilPeer.StartAsync();
        evil.Blocks = _ => [unasked, asked];

        var client = await evil.ConnectVerifiedAsync(victim);
        await client.AnnounceAsync(Announcements.OfBlocks(asked.Hash));

        await Poll.UntilAsync(() => victim.Tip.Hash == asked.Hash, TestNetwork.DefaultTimeout);
        Assert.False(victim.Engine.HasBlock(unasked.Hash));
    }

    [Fact]
    public async Task A_side_branch_forking_deep_below_the_tip_is_not_stored_and_its_sender_is_not_punished()
    {
        using var node = new TestNode();
        var genesis = node.Tip;
        await node.MineManyAsync(Blockchain.MaxReorgDepth + 6, Keys.Miner);
        var shallowFork = node.Engine.Read(n => n.Chain.ActiveChain[^5]);

        var deep = node.NewBlock(genesis).PayingTo(Keys.Bob).Build();
        var refused = await Assert.ThrowsAsync<ConsensusException>(() => node.Engine.SubmitBlockAsync(deep));
        var shallow = await node.NewBlock(shallowFork).PayingTo(Keys.Bob).SubmitAsync();

        Assert.Equal(RejectReasons.BlockInsufficientWork, refused.Reason);
        Assert.False(refused.ProvesMisbehaviour);
        Assert.False(node.Engine.HasBlock(deep.Hash));
        Assert.Equal(BlockAcceptance.Accepted, shallow.Acceptance); // a fork that could still win is kept
    }

    [Fact]
    public async Task Orphans_are_bounded_in_bytes_and_their_parent_index_shrinks_with_them()
    {
        using var node = new TestNode();
        var bigTx = NetworkBlocks.Filler(20);
        Assert.All(bigTx, tx => Assert.True(tx.Size > 50_000));
        for (var i = 0; i < 12; i++)
        {
            var parent = Shared.Hashing.Hash256.Parse((1_000 + i).ToString("x64"));
            var orphan = node.NewBlock().PayingTo(Keys.Miner).With([.. bigTx.Take(15)]).WithParentHash(parent).Build();
            Assert.Equal(BlockAcceptance.Orphan, (await node.Engine.SubmitBlockAsync(orphan)).Acceptance);
        }
        for (var i = 0; i < 3_000; i++)
        {
            var parent = Shared.Hashing.Hash256.Parse((100_000 + i).ToString("x64"));
            await node.Engine.SubmitBlockAsync(node.NewBlock().PayingTo(Keys.Miner).WithParentHash(parent).Build());
        }

        var (count, bytes, parents) = node.Engine.Read(n => (n.Chain.Orphans.Count, n.Chain.Orphans.Bytes, n.Chain.Orphans.ParentsWaitedFor));
        Assert.InRange(bytes, 0, OrphanPool.MaxBytes);
        Assert.InRange(count, 1, OrphanPool.MaxCount);
        Assert.Equal(count, parents);
    }

    [Fact]
    public async Task Junk_transactions_conflicting_with_the_mempool_are_not_remembered_but_a_signed_double_spend_is()
    {
        using var node = new TestNode();
        var coins = await node.MineManyAsync(4, Keys.Alice);
        var first = node.Spend(coins[0], 0, Keys.Alice, (Keys.Bob, 10_000));
        node.Engine.SubmitTransaction(first);

        var junk = Enumerable.Range(1, 200).Select(i => new Transaction(Transaction.CurrentVersion,
            [TxInput.WithoutSignature(new OutPoint(coins[0].Txid, 0))],
            [new TxOutput(Amount.FromMinorUnits(i), Keys.Carol.PublicKey.ToArray())])).ToList();
        foreach (var tx in junk)
        {
            Assert.Throws<ConsensusException>(() => node.Engine.SubmitTransaction(tx));
            Assert.Throws<ConsensusException>(() => node.Engine.SubmitTransaction(tx)); // sent twice, as the attacker did
        }
        var signed = node.Spend(coins[0], 0, Keys.Alice, (Keys.Carol, 10_000));
        Assert.Equal(RejectReasons.MempoolConflict, Assert.Throws<ConsensusException>(() => node.Engine.SubmitTransaction(signed)).Reason);

        Assert.All(junk, tx => Assert.Equal(Node.TransactionState.Unknown, node.StatusOf(tx).State));
        Assert.Equal(Node.TransactionState.Conflicted, node.StatusOf(signed).State);
        Assert.Equal(signed.Size, node.Engine.Read(n => n.Pool.RefusedConflictBytes));
    }

    [Fact]
    public async Task A_flood_of_handshakes_cannot_crowd_out_an_honest_peer()
    {
        await using var network = new TestNetwork();
        var victim = await network.StartNodeAsync([]);
        await using var evil = await EvilPeer.StartAsync();
        for (var i = 0; i < 200; i++)
        {
            await evil.ConnectAsync(victim, claimedAddress: "127.0.0.1:1", claimedNodeId: $"sybil-{i}");
        }
        Assert.InRange(victim.Peers.UnverifiedPeerCount, 0, ChainNode.Network.PeerManager.MaxInboundPeers);

        var honest = await network.StartNodeAsync([victim.Address]);
        await Poll.UntilAsync(() => victim.Peers.Peers.Any(p => p.NodeId == honest.Peers.NodeId), TestNetwork.DefaultTimeout);
    }

    [Fact]
    public async Task A_garbage_body_to_a_peer_method_is_refused_as_MALFORMED()
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);
        using var channel = GrpcChannel.ForAddress(node.Url);
        var raw = Marshallers.Create<byte[]>(b => b, b => b);
        var handshake = new Method<byte[], byte[]>(MethodType.Unary, PeerService.Descriptor.FullName, "Handshake", raw, raw);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await channel.CreateCallInvoker().AsyncUnaryCall(handshake, null, new CallOptions(), [0xFF, 0xFF, 0xFF]));

        Assert.Equal((StatusCode.InvalidArgument, "MALFORMED"), (error.StatusCode, RpcErrors.Describe(error).Reason));
        Assert.True(node.Engine.IsHealthy);
    }

    [Fact]
    public async Task Admin_calls_without_the_nodes_cookie_or_with_a_wrong_one_are_refused_on_the_shared_port_and_told_apart()
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);
        using var channel = GrpcChannel.ForAddress(node.Url);
        var stranger = new NodeService.NodeServiceClient(channel);
        var wrong = new Metadata { { "authorization", "Bearer " + new string('0', 64) } };

        var refusals = new[]
        {
            await Assert.ThrowsAsync<RpcException>(async () => await stranger.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 1, Address = node.AddressOf(Keys.Carol) })),
            await Assert.ThrowsAsync<RpcException>(async () => await stranger.SetMiningAsync(new SetMiningRequest { Enabled = true, MinerAddress = node.AddressOf(Keys.Carol) }, wrong)),
            await Assert.ThrowsAsync<RpcException>(async () => await stranger.AddPeerAsync(new PeerRequest { Address = "127.0.0.1:1" })),
            await Assert.ThrowsAsync<RpcException>(async () => await stranger.RemovePeerAsync(new PeerRequest { Address = "127.0.0.1:1" }, wrong)),
        };

        // No cookie, and a wrong one (one read before the node's last restart, say), are told apart.
        Assert.All(refusals.Where((_, i) => i % 2 == 0), e => Assert.Equal((StatusCode.Unauthenticated, "ADMIN_COOKIE_REQUIRED"), (e.StatusCode, RpcErrors.Describe(e).Reason)));
        Assert.All(refusals.Where((_, i) => i % 2 == 1), e => Assert.Equal((StatusCode.Unauthenticated, "ADMIN_COOKIE_WRONG"), (e.StatusCode, RpcErrors.Describe(e).Reason)));
        Assert.Contains("at every start", RpcErrors.Describe(refusals[1]).Message, StringComparison.Ordinal);
        Assert.Equal(0u, node.Tip.Height);
        Assert.NotNull(await stranger.GetInfoAsync(new GetInfoRequest())); // reads stay open
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(node.Options.DataDirectory, Shared.Cli.NodeCookieFile.FileName)));
        }
        Assert.Single(await node.MineAsync(1, Keys.Carol)); // with the cookie, the admin can
    }

}
