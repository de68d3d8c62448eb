using Grpc.Core;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Rpc;
using LedgerContrast.TestSupport;
using Block = LedgerContrast.Shared.Chain.Block;
using BlockHeader = LedgerContrast.Shared.Chain.BlockHeader;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.ChainNode.Tests.Network;

/// <summary>
/// A new block travels in one call (its body pushed to peers that cannot have it), and a push is
/// held to the rules of a fetched block: processed unasked only if it beats the tip, punished the
/// same, and never the way around the checks that keep a hostile peer out.
/// </summary>
public class BlockPushTests
{
    private static PushBlockRequest Push(Block block) => new() { Block = block.ToProto() };

    [Fact]
    public async Task A_new_block_is_pushed_to_a_peer_once_and_not_announced_to_it()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var node = network[0];
        await using var peer = await EvilPeer.StartAsync();
        await peer.ConnectVerifiedAsync(node);

        var mined = (await node.MineAsync(1, Keys.Miner))[0];

        await Poll.UntilAsync(() => peer.Pushed.Contains(mined), TestNetwork.DefaultTimeout);
        await node.MineAsync(1, Keys.Miner); // a later relay: by then any announcement of the first would have come
        await Poll.UntilAsync(() => peer.Pushed.Count == 2, TestNetwork.DefaultTimeout);
        Assert.Equal(1, peer.Pushed.Count(h => h == mined));
        Assert.DoesNotContain(mined, peer.Announced);
    }

    [Fact]
    public async Task A_peer_that_cannot_take_pushes_is_sent_the_announcement_instead()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var node = network[0];
        await using var peer = await EvilPeer.StartAsync();
        peer.TakesPushes = false; // a node of an earlier release answers UNIMPLEMENTED
        await peer.ConnectVerifiedAsync(node);

        var mined = (await node.MineAsync(1, Keys.Miner))[0];

        await Poll.UntilAsync(() => peer.Announced.Contains(mined), TestNetwork.DefaultTimeout);
        Assert.Contains(node.Peers.Peers, p => p.NodeId == peer.NodeId); // still a peer
    }

    [Fact]
    public async Task A_pushed_block_that_beats_the_tip_is_taken_without_a_fetch_and_relayed_on()
    {
        await using var network = await TestNetwork.LineAsync(2);
        var victim = network[0];
        await victim.MineAsync(2, Keys.Miner);
        await network.WaitForSameTipAsync();
        await using var pusher = await EvilPeer.StartAsync();
        var victimPeers = await pusher.ConnectVerifiedAsync(victim);

        var block = NetworkBlocks.On(victim);
        await victimPeers.PushBlockAsync(Push(block));

        Assert.Equal(block.Hash, victim.Tip.Hash); // processed before the call was answered
        Assert.Equal(0, pusher.GetBlocksCalls);
        await Poll.UntilAsync(() => network[1].Tip.Hash == block.Hash, TestNetwork.DefaultTimeout);
        Assert.False(victim.Peers.IsBanned(pusher.NodeId));
    }

    [Fact]
    public async Task A_pushed_block_that_does_not_beat_the_tip_is_fetched_as_if_announced_not_processed_unasked()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var victim = network[0];
        await victim.MineAsync(2, Keys.Miner);
        var parent = victim.Engine.Read(n => n.Chain.Tip.Parent!);
        await using var pusher = await EvilPeer.StartAsync();
        var victimPeers = await pusher.ConnectVerifiedAsync(victim);

        // A rival of the tip: the same height, so the same work — no better than what the victim has.
        var rival = Rival(victim, parent);
        pusher.Blocks = request => request.Hashes.Any(h => new Shared.Hashing.Hash256(h.Span) == rival.Hash) ? [rival] : [];
        await victimPeers.PushBlockAsync(Push(rival));

        await Poll.UntilAsync(() => victim.Engine.HasBlock(rival.Hash), TestNetwork.DefaultTimeout);
        Assert.True(pusher.GetBlocksCalls >= 1, "the rival was stored without being asked for");
        Assert.NotEqual(rival.Hash, victim.Tip.Hash); // first seen wins ties
    }

    [Fact]
    public async Task A_peer_that_pushes_an_invalid_block_is_banned_and_the_block_is_not_relayed()
    {
        await using var network = await TestNetwork.LineAsync(2);
        var victim = network[0];
        await victim.MineAsync(3, Keys.Miner);
        await network.WaitForSameTipAsync();
        var tipBefore = victim.Tip.Hash;
        await using var pusher = await EvilPeer.StartAsync();
        var victimPeers = await pusher.ConnectVerifiedAsync(victim);

        // Valid proof of work and more work than the tip, so it is processed unasked; its coinbase pays 1,000 units.
        var invalid = NetworkBlocks.On(victim, coinbaseAmount: Amount.FromUnits(1_000));
        await victimPeers.PushBlockAsync(Push(invalid));

        await Poll.UntilAsync(() => victim.Peers.IsBanned(pusher.NodeId) && victim.Peers.Peers.All(p => p.NodeId != pusher.NodeId), TestNetwork.DefaultTimeout);
        var again = await Assert.ThrowsAsync<RpcException>(async () => await victimPeers.PushBlockAsync(Push(invalid)));
        Assert.Equal("NOT_CONNECTED", RpcErrors.Describe(again).Reason);
        Assert.Equal(tipBefore, victim.Tip.Hash);
        await network[1].MineAsync(1, Keys.Bob);
        await network.WaitForSameTipAsync();
        Assert.False(network[1].Engine.HasBlock(invalid.Hash));
    }

    [Fact]
    public async Task A_malformed_push_bans_its_sender_and_an_unproven_peer_is_not_listened_to()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var victim = network[0];
        await using var liar = await EvilPeer.StartAsync();
        // Claims an address it does not hold: never verified, so its pushes are ignored, like its announcements.
        var unproven = await liar.ConnectAsync(victim, claimedAddress: "127.0.0.1:9");
        var block = NetworkBlocks.On(victim);
        await unproven.PushBlockAsync(Push(block));
        Assert.False(victim.Engine.HasBlock(block.Hash));

        await using var pusher = await EvilPeer.StartAsync();
        var victimPeers = await pusher.ConnectVerifiedAsync(victim);
        var malformed = Push(block);
        malformed.Block.Header.PreviousHash = Google.Protobuf.ByteString.CopyFrom(new byte[5]);
        await victimPeers.PushBlockAsync(malformed);
        await Poll.UntilAsync(() => victim.Peers.IsBanned(pusher.NodeId), TestNetwork.DefaultTimeout);
        Assert.False(victim.Engine.HasBlock(block.Hash));
    }

    [Fact]
    public async Task A_catch_up_from_a_peer_whose_replies_stop_short_streams_on_from_where_each_reply_stopped()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var victim = network[0];
        var chain = await NetworkBlocks.ChainElsewhereAsync(victim, 250);
        await using var peer = await EvilPeer.StartAsync();
        Serve(peer, chain, perReply: 7); // as a sender whose byte budget fills after 7 blocks

        await peer.ConnectVerifiedAsync(victim, claimedWork: [0x7f, 0xff, 0xff, 0xff]);

        await Poll.UntilAsync(() => victim.Tip.Hash == chain[^1].Hash, TestNetwork.DefaultTimeout);
        // Each request started where the last reply stopped: 250 / 7 rounded up, nothing asked twice.
        Assert.Equal(36, peer.GetBlocksCalls);
        Assert.Empty(victim.Engine.Verify());
    }

    [Fact]
    public async Task A_catch_up_batch_is_announced_to_other_peers_not_pushed_block_by_block()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var node = network[0];
        await using var listener = await EvilPeer.StartAsync();
        await listener.ConnectVerifiedAsync(node);
        var chain = await NetworkBlocks.ChainElsewhereAsync(node, 120);
        await using var syncSource = await EvilPeer.StartAsync();
        Serve(syncSource, chain);

        await syncSource.ConnectVerifiedAsync(node, claimedWork: [0x7f, 0xff, 0xff, 0xff]);

        await Poll.UntilAsync(() => listener.Announced.Contains(chain[^1].Hash), TestNetwork.DefaultTimeout);
        Assert.Empty(listener.Pushed);
        Assert.Equal(chain.Count, listener.Announced.Intersect(chain.Select(b => b.Hash)).Count());
    }

    /// <summary>The peer answers catch-up with the whole chain, and each GetBlocks with at most <paramref name="perReply"/> of the blocks asked for, in order.</summary>
    private static void Serve(EvilPeer peer, List<Block> chain, int perReply = int.MaxValue)
    {
        var byHash = chain.ToDictionary(b => b.Hash);
        peer.Headers = _ => chain.Select(b => b.Header);
        peer.Blocks = request => request.Hashes.Select(h => byHash[new Shared.Hashing.Hash256(h.Span)]).Take(perReply);
    }

    private static Block Rival(NetworkNode node, ChainNode.Consensus.BlockIndexEntry parent)
    {
        var bits = node.Engine.Read(n => n.Chain.NextBits(parent));
        var coinbase = Transaction.CreateCoinbase(parent.Height + 1, [new TxOutput(node.Engine.Parameters.BlockReward, Keys.Bob.PublicKey.ToArray())]);
        var time = Math.Max((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), parent.Header.TimeMs + 1);
        var header = new BlockHeader(BlockHeader.CurrentVersion, parent.Hash, MerkleTree.ComputeRoot([coinbase.Wtxid]), time, bits, 0);
        return NetworkBlocks.Mine(new Block(header, [coinbase]));
    }
}
