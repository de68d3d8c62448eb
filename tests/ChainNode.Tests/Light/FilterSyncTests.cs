using LedgerContrast.ChainNode.Light;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.TestSupport;
using Xunit.Abstractions;

namespace LedgerContrast.ChainNode.Tests.Light;

/// <summary>
/// A light client finds its payments through compact filters (issue 26): filter headers agreed by
/// the nodes it asks, each filter checked against them, only matching blocks fetched and checked
/// against its own headers — and the coins it finds are the ones a full node reports.
/// </summary>
public sealed class FilterSyncTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = TempDirectory.NewPath("lc-light-filters-");

    [Fact]
    public async Task Through_filters_alone_the_light_client_finds_exactly_the_coins_a_full_node_reports_and_fetches_only_their_blocks()
    {
        await using var network = await TestNetwork.LineAsync(2);
        var (a, b) = (network[0], network[1]);
        var funding = await NetworkBlocks.FundAsync(network, a, Keys.Alice);
        await a.MineAsync(3, Keys.Carol); // three coinbases to the light wallet's key
        var toCarol = NetworkBlocks.Pay(a, funding, Keys.Alice, Keys.Carol);
        await a.Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = toCarol.ToProto() });
        await a.MineAsync(30, Keys.Miner);
        await network.WaitForSameTipAsync();
        var headers = new LightHeaders(a.Engine.Parameters, _root);
        LightSource[] nodes = [new("a", a.Api), new("b", b.Api)];
        await HeaderSync.SyncAsync(headers, nodes, () => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        var agreement = await FilterSync.AgreeAsync(headers, nodes);
        var (matches, filterBytes) = await FilterSync.MatchAsync(headers, agreement.Agreed, nodes[1], 0, [Keys.Carol.PublicKey.ToArray()]);
        var coins = LightCoins.From(matches, [Keys.Carol.PublicKey.ToArray()]);

        Assert.Empty(agreement.Liars);
        Assert.Equal(["a", "b"], agreement.Honest);
        var full = await a.Api.ListUtxosAsync(new AddressRequest { Address = a.AddressOf(Keys.Carol) });
        Assert.Equal(full.Utxos.Select(u => (ChainProto.OutPointFromProto(u.OutPoint), u.Amount)).OrderBy(c => c.Item1.ToString()),
            coins.Select(c => (c.OutPoint, c.Amount.MinorUnits)).OrderBy(c => c.Item1.ToString()));
        Assert.Equal(4, coins.Count);
        Assert.Equal(4, matches.Count); // the blocks it owns something in (1 in 784,931 per other block it would be more)
        output.WriteLine($"{headers.Tip.Height} blocks: {headers.FileBytes} bytes of headers on disk, {filterBytes} bytes of filters read, {matches.Count} blocks fetched");
    }

    [Fact]
    public async Task A_reorganisation_that_removes_a_payment_takes_it_out_of_the_light_wallets_coins_and_the_lighter_node_is_no_liar()
    {
        await using var network = new TestNetwork();
        var a = await network.StartNodeAsync([]);
        var b = await network.StartNodeAsync([]); // apart: a chain of its own, without carol's coin
        await a.MineAsync(1, Keys.Carol);
        await a.MineAsync(5, Keys.Miner);
        var headers = new LightHeaders(a.Engine.Parameters, _root);
        byte[][] keys = [Keys.Carol.PublicKey.ToArray()];
        async Task<(List<LightCoin> Coins, FilterHeaderVerdict Agreement)> SyncAsync(params LightSource[] nodes)
        {
            await HeaderSync.SyncAsync(headers, nodes, () => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            var agreement = await FilterSync.AgreeAsync(headers, nodes);
            var (matches, _) = await FilterSync.MatchAsync(headers, agreement.Agreed, nodes.First(n => agreement.Honest.Contains(n.Name)), 0, keys);
            return (LightCoins.From(matches, keys), agreement);
        }
        Assert.Single((await SyncAsync(new LightSource("a", a.Api))).Coins);

        await b.MineAsync(8, Keys.Miner);
        var (coins, agreement) = await SyncAsync(new LightSource("a", a.Api), new LightSource("b", b.Api));

        Assert.Equal(b.Tip.Hash, headers.Tip.Hash);
        Assert.Empty(coins);
        Assert.Empty(agreement.Liars);
        Assert.StartsWith("at height 1 it is on another chain", agreement.Elsewhere["a"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tip_replaced_between_the_filter_headers_and_the_filters_makes_the_light_wallet_sync_again_not_name_its_honest_nodes_liars()
    {
        await using var network = new TestNetwork();
        var a = await network.StartNodeAsync([]);
        var b = await network.StartNodeAsync([]); // apart: a heavier chain of its own, without carol's coin
        await a.MineAsync(1, Keys.Carol);
        await a.MineAsync(5, Keys.Miner);
        await b.MineAsync(8, Keys.Miner);
        // The first filters request finds a reorganised onto b's chain since its filter headers were
        // agreed — what blocks a second apart do to a sync that takes a second.
        var reorganised = 0;
        var interceptor = new BeforeFirstCall("GetFilters", async () =>
        {
            Interlocked.Increment(ref reorganised);
            await a.Api.AddPeerAsync(new PeerRequest { Address = b.Address });
            await Poll.UntilAsync(() => a.Tip.Hash == b.Tip.Hash, TestNetwork.DefaultTimeout);
        });
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(a.Url);
        var source = new LightSource("a", new NodeService.NodeServiceClient(Grpc.Core.Interceptors.CallInvokerExtensions.Intercept(channel.CreateCallInvoker(), interceptor)));
        var headers = new LightHeaders(a.Engine.Parameters, _root);

        var outcome = await LightSync.RunAsync(headers, [source], [Keys.Carol.PublicKey.ToArray()], () => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        Assert.Equal(1, reorganised);
        Assert.True(outcome.Failure is null, outcome.Failure);
        Assert.Empty(outcome.Liars);
        Assert.Equal(2, outcome.Attempts);
        Assert.Equal(b.Tip.Hash, headers.Tip.Hash);
        Assert.Empty(LightCoins.From(outcome.Matches!, [Keys.Carol.PublicKey.ToArray()])); // carol's coin left with a's old branch
    }

    [Fact]
    public async Task A_block_found_after_the_light_wallet_read_its_headers_does_not_make_its_node_a_liar()
    {
        await using var network = new TestNetwork();
        var a = await network.StartNodeAsync([]);
        await a.MineAsync(1, Keys.Carol);
        await a.MineAsync(5, Keys.Miner);
        // The node's chain grows by a block between the wallet's headers and its filters.
        var interceptor = new BeforeFirstCall("GetFilters", async () => await a.MineAsync(1, Keys.Miner));
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(a.Url);
        var source = new LightSource("a", new NodeService.NodeServiceClient(Grpc.Core.Interceptors.CallInvokerExtensions.Intercept(channel.CreateCallInvoker(), interceptor)));
        var headers = new LightHeaders(a.Engine.Parameters, _root);

        var outcome = await LightSync.RunAsync(headers, [source], [Keys.Carol.PublicKey.ToArray()], () => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        Assert.True(outcome.Failure is null, outcome.Failure);
        Assert.Equal((0, 1), (outcome.Liars.Count, outcome.Attempts));
        Assert.Equal(6u, headers.Tip.Height); // what it had checked; the next sync takes the new block
        Assert.Single(LightCoins.From(outcome.Matches!, [Keys.Carol.PublicKey.ToArray()]));
    }

    /// <summary>Runs <paramref name="before"/> once, before the first call of <paramref name="method"/> goes out.</summary>
    private sealed class BeforeFirstCall(string method, Func<Task> before) : Grpc.Core.Interceptors.Interceptor
    {
        private int _done;

        public override Grpc.Core.AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, Grpc.Core.Interceptors.ClientInterceptorContext<TRequest, TResponse> context,
            AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            if (context.Method.Name != method || Interlocked.Exchange(ref _done, 1) == 1)
            {
                return continuation(request, context);
            }
            var response = Task.Run(async () =>
            {
                await before();
                return await continuation(request, context).ResponseAsync;
            });
            return new Grpc.Core.AsyncUnaryCall<TResponse>(response, Task.FromResult(new Grpc.Core.Metadata()), () => Grpc.Core.Status.DefaultSuccess, () => [], () => { });
        }
    }

    public void Dispose() => TempDirectory.Delete(_root);
}
