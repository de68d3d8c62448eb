using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.TestSupport;
using Block = LedgerContrast.Shared.Chain.Block;
using BlockHeader = LedgerContrast.Shared.Chain.BlockHeader;

namespace LedgerContrast.ChainNode.Tests.Network;

/// <summary>
/// Catch-up goes headers first (PROTOCOL.md §9): a peer's headers are checked as headers, and its
/// blocks are fetched only once they prove more work than the tip — however deep the fork; a
/// header that breaks a rule bans its sender, and a lighter branch stores nothing.
/// </summary>
public class HeadersFirstTests
{
    public static TheoryData<string> BrokenHeaders => ["high hash", "wrong target", "time before the median", "not connected", "bad version"];

    [Theory]
    [MemberData(nameof(BrokenHeaders))]
    public async Task A_header_that_breaks_a_header_rule_bans_its_sender_and_nothing_of_its_branch_is_stored(string broken)
    {
        await using var network = await TestNetwork.LineAsync(1);
        var victim = network[0];
        var chain = await NetworkBlocks.ChainElsewhereAsync(victim, 30);
        var headers = chain.Select(b => b.Header).ToList();
        headers[20] = Break(headers[20], broken, headers);
        await using var evil = await EvilPeer.StartAsync();
        evil.Headers = _ => headers;
        evil.Blocks = request => chain.Where(b => request.Hashes.Any(h => new Hash256(h.Span) == b.Hash));

        await evil.ConnectAsync(victim, claimedWork: [0x7f, 0xff, 0xff, 0xff]); // the sync starts once the victim has dialled it back

        await Poll.UntilAsync(() => victim.Peers.IsBanned(evil.NodeId), TestNetwork.DefaultTimeout);
        Assert.Equal(0, evil.GetBlocksCalls); // the reply is judged before any block of it is fetched
        Assert.Equal(0u, victim.Tip.Height);
    }

    [Fact]
    public async Task A_valid_branch_lighter_than_the_tip_is_never_downloaded_and_its_sender_is_not_punished()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var victim = network[0];
        await victim.MineAsync(40, Keys.Miner);
        var lighter = await NetworkBlocks.ChainElsewhereAsync(victim, 39);
        await using var evil = await EvilPeer.StartAsync();
        evil.Headers = _ => lighter.Select(b => b.Header);
        evil.Blocks = _ => lighter;
        var tip = victim.Tip.Hash;

        await evil.ConnectVerifiedAsync(victim, claimedWork: [0x7f, 0xff, 0xff, 0xff]); // a lie about its work: its headers tell the truth

        await Poll.UntilAsync(() => victim.Peers.Peers.Any(p => p.NodeId == evil.NodeId && p.SyncPausedUntil > DateTime.UtcNow), TestNetwork.DefaultTimeout);
        Assert.Equal(0, evil.GetBlocksCalls);
        Assert.All(lighter, b => Assert.False(victim.Engine.HasBlock(b.Hash)));
        Assert.Equal(tip, victim.Tip.Hash);
        Assert.False(victim.Peers.IsBanned(evil.NodeId));
    }

    [Fact]
    public async Task An_announced_block_of_a_branch_forking_deeper_than_144_blocks_leads_to_its_headers_and_the_heavier_branch_wins()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var victim = network[0];
        await victim.MineAsync(Blockchain.MaxReorgDepth + 20, Keys.Miner);
        var heavier = await NetworkBlocks.ChainElsewhereAsync(victim, Blockchain.MaxReorgDepth + 30);
        await using var evil = await EvilPeer.StartAsync();
        var byHash = heavier.ToDictionary(b => b.Hash);
        evil.Headers = _ => heavier.Select(b => b.Header);
        evil.Blocks = request => request.Hashes.Select(h => byHash[new Hash256(h.Span)]);
        var client = await evil.ConnectVerifiedAsync(victim); // claims no work: no sync at the handshake

        // Its first block forks at genesis: alone, it is too far behind to store (BLOCK_INSUFFICIENT_WORK)…
        await client.AnnounceAsync(Announcements.OfBlocks(heavier[0].Hash));

        // …so the victim asks for the sender's headers, which prove the branch heavier.
        await Poll.UntilAsync(() => victim.Tip.Hash == heavier[^1].Hash, TestNetwork.DefaultTimeout, () => $"victim at {victim.Tip.Height}");
        Assert.True(evil.GetHeadersCalls >= 1);
        Assert.Empty(victim.Engine.Verify());
    }

    [Fact]
    public async Task Headers_are_answered_after_the_locator_bounded_per_reply_to_peers_and_light_clients_alike()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var node = network[0];
        await node.MineAsync(2_100, Keys.Miner);
        await using var evil = await EvilPeer.StartAsync();
        var peer = await evil.ConnectVerifiedAsync(node);
        var api = new NodeService.NodeServiceClient(Grpc.Net.Client.GrpcChannel.ForAddress(node.Url));
        var at100 = node.Engine.Read(n => n.Chain.ActiveChain[100].Hash);
        var request = new HeadersRequest { MaxHeaders = 5_000 };
        request.Locator.Add(Google.Protobuf.ByteString.CopyFrom(Hash256.Parse(new string('e', 64)).ToArray())); // unknown: skipped
        request.Locator.Add(Google.Protobuf.ByteString.CopyFrom(at100.ToArray()));

        var fromPeer = await peer.GetHeadersAsync(request);
        var fromClient = await api.GetHeadersAsync(request);

        Assert.Equal(HeadersMessages.MaxHeadersPerReply, fromPeer.Headers.Count);
        Assert.Equal(fromPeer, fromClient);
        Assert.Equal(at100, ChainProto.FromProto(fromPeer.Headers[0]).PreviousHash);
        Assert.Equal(node.Engine.Read(n => n.Chain.ActiveChain[2_100].Hash), ChainProto.FromProto(fromPeer.Headers[^1]).Hash);
        Assert.Equal(10, (await api.GetHeadersAsync(new HeadersRequest { MaxHeaders = 10 })).Headers.Count); // no locator: from genesis
        // Earlier releases catch up by FindBlocksAfter: still served, bounded to 500 hashes.
        var hashes = await peer.FindBlocksAfterAsync(new LocatorRequest { Locator = { request.Locator } });
        Assert.Equal(PeerManager.MaxHashesPerLocatorReply, hashes.Hashes.Count);
        Assert.Equal(ChainProto.FromProto(fromPeer.Headers[0]).Hash, new Hash256(hashes.Hashes[0].Span));
        var malformed = new HeadersRequest();
        malformed.Locator.Add(Google.Protobuf.ByteString.CopyFrom(new byte[5]));
        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await api.GetHeadersAsync(malformed));
        Assert.Equal((Grpc.Core.StatusCode.InvalidArgument, "MALFORMED"), (refused.StatusCode, Shared.Rpc.RpcErrors.Describe(refused).Reason));
    }

    private static BlockHeader Break(BlockHeader header, string broken, List<BlockHeader> headers) => broken switch
    {
        "high hash" => HighHash(header),
        "wrong target" => NetworkBlocks.Mine(header with { Bits = 0x207ffffe, Nonce = 0 }),
        "time before the median" => NetworkBlocks.Mine(header with { TimeMs = headers[10].TimeMs, Nonce = 0 }),
        "not connected" => NetworkBlocks.Mine(header with { PreviousHash = Hash256.Parse(new string('d', 64)), Nonce = 0 }),
        "bad version" => NetworkBlocks.Mine(header with { Version = 7, Nonce = 0 }),
        _ => throw new ArgumentOutOfRangeException(nameof(broken)),
    };

    private static BlockHeader HighHash(BlockHeader header)
    {
        var target = Target.FromCompact(header.Bits);
        for (ulong nonce = 0; ; nonce++)
        {
            var candidate = header with { Nonce = nonce };
            if (!Target.MeetsTarget(candidate.Hash, target))
            {
                return candidate;
            }
        }
    }
}
