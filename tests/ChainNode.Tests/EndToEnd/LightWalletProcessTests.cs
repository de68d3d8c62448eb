using System.Text.Json;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.TestSupport;

namespace LedgerContrast.ChainNode.Tests.EndToEnd;

/// <summary>`chain light` as a person types it, against two real node processes: the coins it proves are the full node's.</summary>
public sealed class LightWalletProcessTests : IDisposable
{
    private readonly string _root = TempDirectory.NewPath("lc-light-cli-");

    [Fact]
    public async Task Chain_light_sync_finds_the_wallets_coins_through_two_nodes_and_balance_reads_them_back()
    {
        using var a = await ServerProcess.StartAsync("chain.dll", ["node", "--data", Path.Combine(_root, "a"), "--port", "0", "--regtest", "--coinbase-maturity", "2"]);
        using var b = await ServerProcess.StartAsync("chain.dll", ["node", "--data", Path.Combine(_root, "b"), "--port", "0", "--regtest", "--coinbase-maturity", "2", "--peer", new Uri(a.Url).Authority]);
        var wallets = Path.Combine(_root, "wallets");
        async Task<(int Exit, string Out, string Err)> Chain(params string[] args) =>
            await ServerProcess.RunAsync("chain.dll", [.. args, "--wallet-dir", wallets, "--node", a.Url, "--cookie-file", Path.Combine(_root, "a", ".cookie")]);
        Assert.Equal(0, (await Chain("wallet", "new", "carol", "--network", "lc-regtest")).Exit);
        Assert.Equal(0, (await Chain("mine", "--blocks", "3", "--wallet", "carol")).Exit);
        _ = await Chain("wallet", "new", "miner", "--network", "lc-regtest", "--json");
        Assert.Equal(0, (await Chain("mine", "--blocks", "4", "--wallet", "miner")).Exit);
        await NodeProbe.WaitForHeightAsync(new Protos.Chain.V1.NodeService.NodeServiceClient(Grpc.Net.Client.GrpcChannel.ForAddress(b.Url)), 7);

        var sync = await Chain("light", "sync", "--wallet", "carol", "--nodes", $"{a.Url},{b.Url}", "--regtest", "--coinbase-maturity", "2", "--json");

        Assert.True(sync.Exit == 0, sync.Err + sync.Out);
        var state = JsonDocument.Parse(sync.Out).RootElement;
        Assert.Equal(("150", 3, 7u), (state.GetProperty("confirmed").GetString(), state.GetProperty("coins").GetArrayLength(), state.GetProperty("height").GetUInt32()));
        Assert.All(state.GetProperty("nodes").EnumerateArray(), n => Assert.Equal("agreed", n.GetProperty("filters").GetString()));
        Assert.Equal(7 * 88, state.GetProperty("headers_bytes_on_disk").GetInt64());
        // What it downloaded: every node asked sent something (its filter headers at least), the total is
        // their sum and holds the 7 headers (80 bytes each on the wire) and the filters it read.
        var received = state.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("bytes_received").GetInt64()).ToList();
        Assert.All(received, r => Assert.True(r > 0, "a node asked sent nothing"));
        var downloaded = state.GetProperty("bytes_downloaded").GetInt64();
        Assert.Equal(received.Sum(), downloaded);
        Assert.True(downloaded > 7 * 80 + state.GetProperty("filter_bytes_read").GetInt64(), $"{downloaded} bytes downloaded");
        var full = JsonDocument.Parse((await Chain("balance", "--wallet", "carol", "--json")).Out).RootElement;
        Assert.Equal("150", full.GetProperty("confirmed").GetString()); // what the full node says, proven here instead of believed

        var balance = await Chain("light", "balance", "--wallet", "carol", "--json");
        Assert.Equal((0, "150"), (balance.Exit, JsonDocument.Parse(balance.Out).RootElement.GetProperty("confirmed").GetString()));
        Assert.Contains("150 in 3 coins", (await Chain("light", "balance", "--wallet", "carol")).Out, StringComparison.Ordinal);

        // Options that describe another network: one sentence, the usage exit code.
        var wrong = await Chain("light", "sync", "--wallet", "carol", "--nodes", a.Url);
        Assert.Equal(3, wrong.Exit);
        Assert.Contains("None of the nodes is on the network these options describe", wrong.Err, StringComparison.Ordinal);
        var never = await Chain("light", "balance", "--wallet", "miner");
        Assert.Equal((3, true), (never.Exit, never.Err.Contains("has not synced yet", StringComparison.Ordinal)));
    }

    public void Dispose() => TempDirectory.Delete(_root);
}
