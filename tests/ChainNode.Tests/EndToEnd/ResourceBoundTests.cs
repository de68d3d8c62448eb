using Google.Protobuf;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using LedgerContrast.TestSupport;
using Block = LedgerContrast.Shared.Chain.Block;
using BlockHeader = LedgerContrast.Shared.Chain.BlockHeader;
using OutPoint = LedgerContrast.Shared.Chain.OutPoint;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxInput = LedgerContrast.Shared.Chain.TxInput;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.ChainNode.Tests.EndToEnd;

/// <summary>
/// A hostile peer against a real `chain node` process, measured from outside: resident memory
/// (/proc) and the size of its files. Sizes are the smallest that still tell a bounded node from
/// an unbounded one: each floods several times the bound being proven.
/// </summary>
public sealed class ResourceBoundTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly string _root = TempDirectory.NewPath("lc-bounds-");

    /// <summary>
    /// The runtime's own buffers for 1 MB messages cost a one-off ~100 MiB whatever the pool
    /// holds, so the bound is proven by the plateau: after the first 100 orphans (the pool long
    /// full at 8 MiB), 300 more — 260 MB that an unbounded pool would keep — add almost nothing.
    /// </summary>
    [ProcFact]
    public async Task Orphan_blocks_beyond_the_pools_bound_do_not_grow_the_nodes_memory()
    {
        using var node = await StartNodeAsync();
        var api = Api(node);
        var networkId = await NetworkIdAsync(api);
        var filler = NetworkBlocks.Filler(15); // ≈ 0.9 MB per block
        var start = await SettledRssAsync(node);

        await using var evil = await EvilPeer.StartAsync();
        var orphans = new Dictionary<Hash256, Block>();
        evil.Blocks = request => request.Hashes.Select(h => orphans.GetValueOrDefault(new Hash256(h.Span))).OfType<Block>();
        var client = await evil.ConnectAsync(node.Url, networkId);
        await Poll.UntilAsync(() => IsConnected(api, evil.NodeId), TestNetwork.DefaultTimeout);
        async Task SendOrphansAsync(int from, int count)
        {
            for (var i = from; i < from + count; i++)
            {
                var orphan = BigBlock(parent: Hash256.Parse((i + 1).ToString("x64")), height: 1, filler, timeOffsetMs: 0);
                orphans[orphan.Hash] = orphan;
                var fetchedBefore = evil.GetBlocksCalls;
                await client.AnnounceAsync(Announcements.OfBlocks(orphan.Hash));
                await Poll.UntilAsync(() => evil.GetBlocksCalls > fetchedBefore, TestNetwork.DefaultTimeout);
                orphans.Remove(orphan.Hash);
            }
        }

        await SendOrphansAsync(0, 100);
        var plateau = await SettledRssAsync(node);
        await SendOrphansAsync(100, 300);
        var end = await SettledRssAsync(node);

        output.WriteLine($"RSS {start / MiB} MiB, {plateau / MiB} MiB after 100 orphans of {OrphanBytes(filler) / 1024} KiB, {end / MiB} MiB after 300 more");
        Assert.True(end - plateau < 30 * MiB, $"300 more orphans ({300 * OrphanBytes(filler) / MiB} MiB) grew RSS from {plateau / MiB} to {end / MiB} MiB");
        Assert.True(end - start < 150 * MiB, $"RSS grew from {start / MiB} to {end / MiB} MiB");
        Assert.False(node.HasExited);
    }

    [ProcFact]
    public async Task Thousands_of_junk_double_spends_grow_the_nodes_memory_by_less_than_100_MiB()
    {
        using var node = await StartNodeAsync();
        var api = Api(node);
        var networkId = await NetworkIdAsync(api);
        var cookie = Shared.Cli.NodeCookieFile.TryRead(Path.Combine(_root, "node"));
        var admin = new Grpc.Core.Metadata { { "authorization", "Bearer " + cookie } };
        var regtest = ChainNode.Consensus.ChainParameters.ForRegtest(coinbaseMaturity: 2);
        var address = new Shared.Addresses.Address(regtest.AddressPrefix, Keys.Alice.PublicKey).ToString();
        var mined = await api.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 3, Address = address }, admin);
        var coinbase = (await api.GetBlockAsync(new GetBlockRequest { Hash = mined.BlockHashes[0] })).Block.Transactions[0];
        var coin = new OutPoint(ChainProto.FromProto(coinbase).Txid, 0);
        var spend = TransactionSigner.Sign(new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(coin)],
            [new TxOutput(Amount.FromUnits(1), Keys.Bob.PublicKey.ToArray())]), new Hash256(networkId), [Keys.Alice], [ChainProto.FromProto(coinbase).Outputs[0].Amount]);
        await api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = spend.ToProto() });
        var before = await SettledRssAsync(node);

        // Through the public wallet API, where nobody can be banned: unsigned, ~96 kB each, every one a double spend of the coin.
        var shared = Enumerable.Range(0, 2_399).Select(i => new TxOutput(Amount.FromMinorUnits(i + 1), Keys.Carol.PublicKey.ToArray())).ToArray();
        var junk = new Dictionary<Hash256, Protos.Chain.V1.Transaction>();
        for (var n = 0; n < 1_200; n++)
        {
            var tx = new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(coin)], [new TxOutput(Amount.FromMinorUnits(n + 1), Keys.Carol.PublicKey.ToArray()), .. shared]);
            junk[tx.Txid] = tx.ToProto();
        }
        for (var round = 0; round < 2; round++) // each sent twice, as the attack did
        {
            foreach (var tx in junk.Values)
            {
                await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = tx }));
            }
        }

        var after = await SettledRssAsync(node);
        output.WriteLine($"RSS {before / MiB} MiB -> {after / MiB} MiB after {junk.Count} junk transactions, each twice");
        Assert.True(after - before < 100 * MiB, $"RSS grew from {before / MiB} MiB to {after / MiB} MiB after {junk.Count} junk transactions of ~{junk.Values.First().CalculateSize() / 1024} KiB, each twice");
        Assert.Equal(Protos.Chain.V1.TransactionStatus.Types.State.Unknown, TxStatus(api, junk.Keys.First()));
    }

    [Fact]
    public async Task Twenty_invalid_one_megabyte_blocks_from_twenty_peers_grow_the_files_by_less_than_2_MiB_and_every_sender_is_banned()
    {
        using var node = await StartNodeAsync();
        var api = Api(node);
        var networkId = await NetworkIdAsync(api);
        var info = await api.GetInfoAsync(new GetInfoRequest());
        var tip = new Hash256(info.TipHash.Span);
        var filler = NetworkBlocks.Filler(15); // spending outputs that do not exist: invalid only when connected
        var sizeBefore = DataSize();

        for (var i = 0; i < 20; i++)
        {
            var invalid = BigBlock(parent: tip, height: info.Height + 1, [.. filler.Skip(i % 3)], timeOffsetMs: (ulong)i);
            await using var evil = await EvilPeer.StartAsync();
            evil.Blocks = _ => [invalid];
            var client = await evil.ConnectAsync(node.Url, networkId);
            await Poll.UntilAsync(() => IsConnected(api, evil.NodeId), TestNetwork.DefaultTimeout);
            await client.AnnounceAsync(Announcements.OfBlocks(invalid.Hash));
            await Poll.UntilAsync(() => !IsConnected(api, evil.NodeId), TestNetwork.DefaultTimeout);
            var rejoin = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await evil.ConnectAsync(node.Url, networkId));
            Assert.Equal("BANNED", Shared.Rpc.RpcErrors.Describe(rejoin).Reason); // banned, not merely disconnected
        }

        var growth = DataSize() - sizeBefore;
        output.WriteLine($"data files {sizeBefore / 1024} KiB -> {(sizeBefore + growth) / 1024} KiB after 20 invalid blocks");
        Assert.True(growth < 2 * MiB, $"the data files grew by {growth / 1024} KiB");
        Assert.Equal(info.TipHash, (await api.GetInfoAsync(new GetInfoRequest())).TipHash);
    }

    /// <summary>
    /// The cheap-deep-fork attack, against headers first: peers serve a long, valid branch from
    /// genesis whose timestamps, spread out, let the retarget rule take its difficulty to the
    /// easiest target — a header costs two hashes, a block of the victim's a million — so the
    /// branch never carries the tip's work. Each sync holds at most its byte bound of headers,
    /// stops asking there, and stores nothing: no block is fetched, the files and the tip do not
    /// change, nobody is banned (the headers are valid), and memory stays bounded.
    /// </summary>
    [ProcFact]
    public async Task A_long_cheap_header_branch_from_genesis_stores_nothing_and_holds_bounded_memory()
    {
        var parameters = new ChainNode.Consensus.ChainParameters { Network = "lc-cheap-fork" };
        using var node = await ServerProcess.StartAsync("chain.dll", ["node", "--data", Path.Combine(_root, "node"), "--port", "0", "--network", parameters.Network]);
        var api = Api(node);
        var cookie = Shared.Cli.NodeCookieFile.TryRead(Path.Combine(_root, "node"));
        var admin = new Grpc.Core.Metadata { { "authorization", "Bearer " + cookie } };
        var address = new Shared.Addresses.Address(parameters.AddressPrefix, Keys.Miner.PublicKey).ToString();
        var cheap = CheapBranch(parameters, 100_000);
        // Its first headers cost what genesis did (~2^20 hashes each, halving): the victim mines until its tip carries twice the branch's work.
        var cheapWork = cheap.Aggregate(Target.Work(ChainNode.Consensus.Genesis.Create(parameters).Header.Bits), (sum, h) => sum + Target.Work(h.Bits));
        Protos.Chain.V1.ChainInfo info;
        while (new System.Numerics.BigInteger((info = await api.GetInfoAsync(new GetInfoRequest())).CumulativeWork.Span, isUnsigned: true, isBigEndian: true) < 2 * cheapWork)
        {
            await api.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 1, Address = address }, admin);
        }
        var networkId = await NetworkIdAsync(api);
        var byHash = cheap.Select((h, i) => (h.Hash, i)).ToDictionary(p => p.Hash, p => p.i);
        var sizeBefore = DataSize();
        var before = await SettledRssAsync(node);

        const int attackers = 4;
        var peers = new List<EvilPeer>();
        try
        {
            for (var i = 0; i < attackers; i++)
            {
                var evil = await EvilPeer.StartAsync();
                peers.Add(evil);
                evil.Headers = request =>
                {
                    // As a node answers a locator: after the newest locator hash on its chain (genesis if none).
                    var from = request.Locator.Select(h => byHash.TryGetValue(new Hash256(h.Span), out var at) ? at : -1).FirstOrDefault(at => at >= 0, -1) + 1;
                    return cheap.Skip(from).Take((int)request.MaxHeaders);
                };
                await evil.ConnectAsync(node.Url, networkId, claimedWork: [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff]); // "I have more work": the victim syncs
            }
            var perBranch = (int)(ChainNode.Network.PeerManager.MaxHeaderBytesPerBranch / ChainNode.Consensus.HeaderBranch.BytesPerHeader);
            var maxCalls = perBranch / ChainNode.Network.HeadersMessages.MaxHeadersPerReply + 2;
            await Poll.UntilAsync(() => peers.All(p => p.GetHeadersCalls > 0) && api.ListPeers(new ListPeersRequest()).Peers.Where(p => p.NodeId.StartsWith("evil-", StringComparison.Ordinal)).Count() == attackers,
                TestNetwork.DefaultTimeout, () => $"header calls: {string.Join(", ", peers.Select(p => p.GetHeadersCalls))}");
            // Every sync ends once its branch is at its bound (or the node's), and the log says why.
            await Poll.UntilAsync(() => peers.All(p => node.Lines.Any(l => l.Contains($"Catch-up from {p.Address} brought nothing new", StringComparison.Ordinal))),
                TestNetwork.DefaultTimeout, () => $"header calls: {string.Join(", ", peers.Select(p => p.GetHeadersCalls))}; node: {string.Join('\n', node.Lines.TakeLast(8))}");
            var after = await SettledRssAsync(node);

            output.WriteLine($"victim: {info.Height} blocks, work {new System.Numerics.BigInteger(info.CumulativeWork.Span, isUnsigned: true, isBigEndian: true):N0}; branch work {cheapWork:N0}");
            output.WriteLine($"RSS {before / MiB} -> {after / MiB} MiB; header calls per attacker: {string.Join(", ", peers.Select(p => p.GetHeadersCalls))} (each reply 2,000 headers of a {cheap.Count:N0}-header branch; bound {perBranch:N0} headers a branch)");
            Assert.All(peers, p => Assert.InRange(p.GetHeadersCalls, 1, maxCalls));
            Assert.All(peers, p => Assert.Equal(0, p.GetBlocksCalls));
            Assert.Equal(sizeBefore, DataSize());
            Assert.Equal(info.TipHash, (await api.GetInfoAsync(new GetInfoRequest())).TipHash);
            Assert.Equal(attackers, api.ListPeers(new ListPeersRequest()).Peers.Count(p => p.NodeId.StartsWith("evil-", StringComparison.Ordinal))); // valid headers: nobody banned
            // The syncs hold at most 16 MiB of headers at once; the rest is the runtime's heap, not returned at once. Unbounded, the
            // four branches would keep ~4 × 100,000 × 496 bytes ≈ 189 MiB alive.
            Assert.True(after - before < 64 * MiB, $"RSS grew from {before / MiB} to {after / MiB} MiB");
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Valid headers from genesis, a minute apart: the retarget rule halves the difficulty each
    /// block down to the easiest target and keeps it there, so each costs a couple of hashes.
    /// </summary>
    private static List<BlockHeader> CheapBranch(ChainNode.Consensus.ChainParameters parameters, int count)
    {
        var headers = new List<BlockHeader>(count + 1) { ChainNode.Consensus.Genesis.Create(parameters).Header };
        var root = Hash256.Parse(new string('c', 64));
        for (var i = 0; i < count; i++)
        {
            var parent = headers[^1];
            var window = headers.Skip(Math.Max(0, headers.Count - parameters.RetargetWindow - 1)).ToList();
            var bits = ChainNode.Consensus.Difficulty.NextBits(window, parameters);
            var header = new BlockHeader(BlockHeader.CurrentVersion, parent.Hash, root, parent.TimeMs + 60_000, bits, 0);
            headers.Add(NetworkBlocks.Mine(header));
        }
        headers.RemoveAt(0);
        return headers;
    }

    private readonly List<GrpcChannel> _channels = [];

    private async Task<ServerProcess> StartNodeAsync() =>
        await ServerProcess.StartAsync("chain.dll", ["node", "--data", Path.Combine(_root, "node"), "--port", "0", "--regtest", "--coinbase-maturity", "2"]);

    private NodeService.NodeServiceClient Api(ServerProcess node)
    {
        var channel = GrpcChannel.ForAddress(node.Url);
        _channels.Add(channel);
        return new NodeService.NodeServiceClient(channel);
    }

    private long DataSize() => new DirectoryInfo(Path.Combine(_root, "node")).GetFiles("*.db").Sum(f => f.Length);

    private static async Task<byte[]> NetworkIdAsync(NodeService.NodeServiceClient api) =>
        (await api.GetInfoAsync(new GetInfoRequest())).NetworkId.ToByteArray();

    private static bool IsConnected(NodeService.NodeServiceClient api, string nodeId) =>
        api.ListPeers(new ListPeersRequest()).Peers.Any(p => p.NodeId == nodeId);

    private static Protos.Chain.V1.TransactionStatus.Types.State? TxStatus(NodeService.NodeServiceClient api, Hash256 txid) =>
        api.GetTransaction(new GetTransactionRequest { Txid = ByteString.CopyFrom(txid.ToArray()) }).Status?.State;

    /// <summary>A regtest block of about a megabyte on <paramref name="parent"/>, with valid proof of work.</summary>
    private static Block BigBlock(Hash256 parent, uint height, List<Transaction> filler, ulong timeOffsetMs)
    {
        List<Transaction> txs = [Transaction.CreateCoinbase(height, [new TxOutput(Amount.FromUnits(1), Keys.Miner.PublicKey.ToArray())]), .. filler];
        var header = new BlockHeader(BlockHeader.CurrentVersion, parent, MerkleTree.ComputeRoot([.. txs.Select(t => t.Wtxid)]),
            (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + timeOffsetMs, ChainNode.Consensus.ChainParameters.RegtestBits, 0);
        return NetworkBlocks.Mine(new Block(header, txs));
    }

    private static long OrphanBytes(List<Transaction> filler) => filler.Sum(t => (long)t.Size);

    /// <summary>Resident memory once it stops moving (the runtime returns freed memory lazily): polled, not slept.</summary>
    private static async Task<long> SettledRssAsync(ServerProcess node)
    {
        long previous = -1, current = Rss(node);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Math.Abs(current - previous) > 2 * MiB && DateTime.UtcNow < deadline)
        {
            previous = current;
            await Task.Delay(500);
            current = Rss(node);
        }
        return current;
    }

    private static long Rss(ServerProcess node)
    {
        var line = File.ReadLines($"/proc/{node.Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public void Dispose()
    {
        _channels.ForEach(c => c.Dispose());
        TempDirectory.Delete(_root);
    }
}
