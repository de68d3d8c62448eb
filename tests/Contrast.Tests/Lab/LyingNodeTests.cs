using System.Text.Json;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.TestSupport;

namespace LedgerContrast.Contrast.Tests.Lab;

/// <summary>
/// What a lying server can and cannot do to a light wallet (the hybrid model): real node
/// processes, the lab's real man-in-the-middle server in front of one, and `chain light` as a
/// person runs it. What the wallet can check — headers, blocks — no lie gets past; what only
/// another node can reveal — a payment left out of the filters — is caught only if it asks one.
/// </summary>
public sealed class LyingNodeTests : IDisposable
{
    private readonly string _root = TempDirectory.NewPath("lc-liar-");

    [Fact]
    public async Task A_light_wallet_refuses_forged_payments_and_bad_headers_and_catches_a_hidden_payment_only_with_an_honest_node_beside_the_liar()
    {
        using var a = await ServerProcess.StartAsync("chain.dll", ["node", "--data", Path.Combine(_root, "a"), "--port", "0", "--regtest", "--coinbase-maturity", "2"]);
        using var b = await ServerProcess.StartAsync("chain.dll", ["node", "--data", Path.Combine(_root, "b"), "--port", "0", "--regtest", "--coinbase-maturity", "2", "--peer", new Uri(a.Url).Authority]);
        var wallets = Path.Combine(_root, "wallets");
        async Task<(int Exit, string Out, string Err)> Chain(params string[] args) =>
            await ServerProcess.RunAsync("chain.dll", [.. args, "--wallet-dir", wallets, "--node", a.Url, "--cookie-file", Path.Combine(_root, "a", ".cookie")]);
        var carol = JsonDocument.Parse((await Chain("wallet", "new", "carol", "--network", "lc-regtest", "--json")).Out).RootElement.GetProperty("address").GetString()!;
        var carolKey = Shared.Addresses.Address.Parse(carol).PublicKey.ToArray();
        Assert.Equal(0, (await Chain("wallet", "new", "miner", "--network", "lc-regtest")).Exit);
        Assert.Equal(0, (await Chain("mine", "--blocks", "3", "--wallet", "carol")).Exit);
        Assert.Equal(0, (await Chain("mine", "--blocks", "12", "--wallet", "miner")).Exit);
        await Poll.UntilAsync(() => Height(b.Url) == 15, TimeSpan.FromSeconds(60));
        async Task<(int Exit, JsonElement? State, string Err)> SyncAsync(params string[] nodes)
        {
            var run = await Chain("light", "sync", "--wallet", "carol", "--nodes", string.Join(',', nodes), "--regtest", "--coinbase-maturity", "2", "--json");
            return (run.Exit, run.Exit == 0 ? JsonDocument.Parse(run.Out).RootElement.Clone() : null, run.Err + run.Out); // --json: a refusal is a JSON document too
        }
        static string FiltersOf(JsonElement state, string node) => state.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("node").GetString() == node).GetProperty("filters").GetString()!;

        await using (var hider = await LyingNode.StartAsync(a.Url, NodeLie.HidePayments, carolKey))
        {
            // Beside an honest node, the filter headers disagree; the block decides, and the liar is named.
            var caught = await SyncAsync(hider.Url, b.Url);
            Assert.True(caught.Exit == 0, caught.Err);
            Assert.Equal("150", caught.State!.Value.GetProperty("confirmed").GetString());
            Assert.StartsWith("caught: its filter header at height 1 ", FiltersOf(caught.State.Value, hider.Url), StringComparison.Ordinal);
            Assert.Equal("agreed", FiltersOf(caught.State.Value, b.Url));
            // Alone, it succeeds: nothing the wallet holds can show a payment left out (the honest limit of SPV).
            var fooled = await SyncAsync(hider.Url);
            Assert.True(fooled.Exit == 0, fooled.Err);
            Assert.Equal(("0", 0), (fooled.State!.Value.GetProperty("confirmed").GetString(), fooled.State.Value.GetProperty("coins").GetArrayLength()));
        }

        await using (var forger = await LyingNode.StartAsync(a.Url, NodeLie.ForgePayment, carolKey))
        {
            // A payment in no block has no block to show: alone, the forger gets the wallet to believe nothing at all.
            var alone = await SyncAsync(forger.Url);
            Assert.Equal(1, alone.Exit);
            Assert.Contains("No coin is shown without a block that proves it", alone.Err, StringComparison.Ordinal);
            var beside = await SyncAsync(forger.Url, b.Url);
            Assert.True(beside.Exit == 0, beside.Err);
            Assert.Equal("150", beside.State!.Value.GetProperty("confirmed").GetString());
            Assert.StartsWith("caught:", FiltersOf(beside.State.Value, forger.Url), StringComparison.Ordinal);
        }

        await using (var badHeaders = await LyingNode.StartAsync(a.Url, NodeLie.InvalidHeaders, carolKey))
        {
            Directory.Delete(Path.Combine(wallets, "carol.light"), recursive: true); // a fresh wallet meets the liar first
            var run = await SyncAsync(badHeaders.Url, b.Url);
            Assert.True(run.Exit == 0, run.Err);
            var verdict = run.State!.Value.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("node").GetString() == badHeaders.Url);
            Assert.StartsWith("BLOCK_", verdict.GetProperty("headers_refused").GetString(), StringComparison.Ordinal);
            Assert.Equal(15u, run.State.Value.GetProperty("height").GetUInt32());
            Assert.Equal("150", run.State.Value.GetProperty("confirmed").GetString());
        }
    }

    private static uint? Height(string url)
    {
        try
        {
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(url);
            return new Protos.Chain.V1.NodeService.NodeServiceClient(channel).GetInfo(new Protos.Chain.V1.GetInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5)).Height;
        }
        catch (Grpc.Core.RpcException)
        {
            return null;
        }
    }

    public void Dispose() => TempDirectory.Delete(_root);
}
