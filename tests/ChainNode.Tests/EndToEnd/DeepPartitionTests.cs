using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Addresses;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using LedgerContrast.TestSupport;
using Xunit.Abstractions;
using OutPoint = LedgerContrast.Shared.Chain.OutPoint;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxInput = LedgerContrast.Shared.Chain.TxInput;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.ChainNode.Tests.EndToEnd;

/// <summary>
/// Two real `chain node` processes share a prefix, are partitioned with RemovePeer both ways,
/// mine branches of their own far longer than any reorganisation window, and are joined again:
/// the most work wins on both, however deep the fork (headers first, PROTOCOL.md §9).
/// </summary>
public sealed class DeepPartitionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan s_heal = TimeSpan.FromSeconds(30);
    private readonly string _root = TempDirectory.NewPath("lc-deep-partition-");

    [Theory]
    [InlineData(200, 260)]
    [InlineData(1_000, 1_100)]
    public async Task A_partition_deeper_than_144_blocks_heals_both_ways_onto_the_heavier_branch(int lighter, int heavier)
    {
        using var a = await StartAsync("a");
        using var b = await StartAsync("b");
        var (apiA, apiB) = (Api(a), Api(b));
        await apiA.AddPeerAsync(new PeerRequest { Address = b.Url }, Admin("a"));
        await WaitForPeersAsync(apiA, 1);
        await apiA.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 20, Address = AddressOf(Keys.Alice) }, Admin("a"));
        await NodeProbe.WaitForHeightAsync(apiB, 20);

        // The partition: each node refuses the other.
        await apiA.RemovePeerAsync(new PeerRequest { Address = b.Url }, Admin("a"));
        await apiB.RemovePeerAsync(new PeerRequest { Address = a.Url }, Admin("b"));
        await WaitForPeersAsync(apiA, 0);
        await WaitForPeersAsync(apiB, 0);

        // A payment that only the lighter branch confirms.
        var payment = await PayFromSharedPrefixAsync(apiA);
        await apiA.GenerateBlocksAsync(new GenerateBlocksRequest { Count = (uint)lighter, Address = AddressOf(Keys.Miner) }, Admin("a"));
        await apiB.GenerateBlocksAsync(new GenerateBlocksRequest { Count = (uint)heavier, Address = AddressOf(Keys.Bob) }, Admin("b"));
        Assert.Equal(TransactionStatus.Types.State.Confirmed, (await apiA.GetTransactionAsync(new GetTransactionRequest { Txid = payment })).Status.State);
        var heavierTip = (await apiB.GetInfoAsync(new GetInfoRequest())).TipHash;

        var healing = Stopwatch.StartNew();
        await apiA.AddPeerAsync(new PeerRequest { Address = b.Url }, Admin("a"));
        await apiB.AddPeerAsync(new PeerRequest { Address = a.Url }, Admin("b"));
        await Poll.UntilAsync(() => Tip(apiA) == heavierTip && Tip(apiB) == heavierTip, s_heal,
            () => $"a at {NodeProbe.Height(apiA)}, b at {NodeProbe.Height(apiB)} after {healing.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"{lighter} vs {heavier} blocks: both nodes on the heavier tip {healing.Elapsed.TotalSeconds:F1} s after the heal");

        // The lighter branch's payment is not lost: pending again (or conflicted), never confirmed.
        // The lighter branch's payment is not lost: pending again on its node, and relayed to the
        // other, which never heard of it (nothing conflicts with it on the heavier branch).
        foreach (var (name, api) in new[] { ("a", apiA), ("b", apiB) })
        {
            await Poll.UntilAsync(() => StateOf(api, payment) == TransactionStatus.Types.State.Pending,
                TestNetwork.DefaultTimeout, () => $"the payment is {StateOf(api, payment)} on {name}");
        }
    }

    [Fact]
    public async Task A_node_that_dials_a_heavier_peer_catches_up_within_5_seconds_with_nobody_mining()
    {
        using var heavy = await StartAsync("heavy");
        using var light = await StartAsync("light");
        var (apiHeavy, apiLight) = (Api(heavy), Api(light));
        await apiHeavy.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 300, Address = AddressOf(Keys.Bob) }, Admin("heavy"));
        await apiLight.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 150, Address = AddressOf(Keys.Alice) }, Admin("light"));
        var tip = Tip(apiHeavy);

        var dialled = Stopwatch.StartNew();
        await apiLight.AddPeerAsync(new PeerRequest { Address = heavy.Url }, Admin("light"));
        await Poll.UntilAsync(() => Tip(apiLight) == tip, TimeSpan.FromSeconds(5), () => $"light at {NodeProbe.Height(apiLight)} after {dialled.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"caught up 300 blocks over a 150-block fork from genesis in {dialled.Elapsed.TotalSeconds:F1} s");
    }

    private async Task<ServerProcess> StartAsync(string name) =>
        await ServerProcess.StartAsync("chain.dll", ["node", "--data", Path.Combine(_root, name), "--port", "0", "--regtest", "--coinbase-maturity", "2"]);

    private Metadata Admin(string name) => new() { { "authorization", "Bearer " + NodeCookieFile.TryRead(Path.Combine(_root, name)) } };

    private static NodeService.NodeServiceClient Api(ServerProcess node) => new(GrpcChannel.ForAddress(node.Url));

    private static readonly ChainParameters s_regtest = ChainParameters.ForRegtest(coinbaseMaturity: 2);

    private static string AddressOf(Shared.Crypto.PrivateKey key) => new Address(s_regtest.AddressPrefix, key.PublicKey).ToString();

    /// <summary>Alice spends her first coinbase (mined before the partition) to Carol, through the lighter node.</summary>
    private static async Task<Google.Protobuf.ByteString> PayFromSharedPrefixAsync(NodeService.NodeServiceClient api)
    {
        var info = await api.GetInfoAsync(new GetInfoRequest());
        var coinbase = ChainProto.FromProto((await api.GetBlockAsync(new GetBlockRequest { Height = 1 })).Block.Transactions[0]);
        var spend = TransactionSigner.Sign(new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(new OutPoint(coinbase.Txid, 0))],
            [new TxOutput(Amount.FromUnits(10), Keys.Carol.PublicKey.ToArray()), new TxOutput(coinbase.Outputs[0].Amount - Amount.FromUnits(10) - Amount.FromMinorUnits(10_000), Keys.Alice.PublicKey.ToArray())]),
            new Hash256(info.NetworkId.Span), [Keys.Alice], [coinbase.Outputs[0].Amount]);
        return (await api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = spend.ToProto() })).Txid;
    }

    private static Google.Protobuf.ByteString? Tip(NodeService.NodeServiceClient api) => Try(() => api.GetInfo(new GetInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5)).TipHash);

    private static TransactionStatus.Types.State? StateOf(NodeService.NodeServiceClient api, Google.Protobuf.ByteString txid) =>
        Try(() => (TransactionStatus.Types.State?)api.GetTransaction(new GetTransactionRequest { Txid = txid }, deadline: DateTime.UtcNow.AddSeconds(5)).Status.State);

    private static T? Try<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (RpcException)
        {
            return default;
        }
    }

    private static Task WaitForPeersAsync(NodeService.NodeServiceClient api, int count) =>
        Poll.UntilAsync(() => Try(() => (int?)api.ListPeers(new ListPeersRequest(), deadline: DateTime.UtcNow.AddSeconds(5)).Peers.Count) == count,
            TestNetwork.DefaultTimeout, () => $"peers: {Try(() => (int?)api.ListPeers(new ListPeersRequest()).Peers.Count)}");

    public void Dispose() => TempDirectory.Delete(_root);
}
