using LedgerContrast.TestSupport;
using System.Text.Json;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;

namespace LedgerContrast.ChainNode.Tests.EndToEnd;

/// <summary>The real `chain` executable: a node process that is killed and comes back, and the CLI as a person types it.</summary>
public sealed class ProcessNodeTests : IDisposable
{
    private readonly string _root = TempDirectory.NewPath("lc-chain-e2e-");

    [Fact]
    public async Task A_node_killed_and_restarted_syncs_back_to_the_tip()
    {
        await using var network = new TestNetwork();
        var miner = await network.StartNodeAsync([]);
        await miner.MineAsync(50, Keys.Miner);
        var data = Path.Combine(_root, "late");
        string[] args = ["node", "--data", data, "--port", "0", "--regtest", "--coinbase-maturity", "2", "--peer", miner.Address];

        using (var node = await ServerProcess.StartAsync("chain.dll", args))
        {
            await WaitForHeightAsync(node.Url, 50);
            node.KillHard();
        }
        await miner.MineAsync(100, Keys.Miner);

        using var restarted = await ServerProcess.StartAsync("chain.dll", args);
        await WaitForHeightAsync(restarted.Url, 150);
        var info = await Api(restarted.Url).GetInfoAsync(new GetInfoRequest());
        Assert.Equal(miner.Tip.Hash.ToArray(), info.TipHash.ToByteArray());
    }

    [Fact]
    public async Task Wallet_new_mine_send_and_the_payment_confirms_through_the_cli()
    {
        using var node = await ServerProcess.StartAsync("chain.dll", ["node", "--data", Path.Combine(_root, "node"), "--port", "0", "--regtest", "--coinbase-maturity", "2"]);
        var wallets = Path.Combine(_root, "wallets");
        async Task<(int Exit, string Out, string Err)> Chain(params string[] args) =>
            await ServerProcess.RunAsync("chain.dll", [.. args, "--wallet-dir", wallets, "--node", node.Url, "--cookie-file", Path.Combine(_root, "node", ".cookie")]);

        var alice = await Chain("wallet", "new", "alice", "--network", "lc-regtest", "--json");
        Assert.Equal(0, alice.Exit);
        var bobAddress = Field(( await Chain("wallet", "new", "bob", "--network", "lc-regtest", "--json")).Out, "address");
        Assert.Equal(0, (await Chain("mine", "--blocks", "3", "--wallet", "alice")).Exit);

        var sent = await Chain("send", "--wallet", "alice", "--to", bobAddress, "--amount", "12.5", "--json");
        Assert.True(sent.Exit == 0, sent.Err + sent.Out);
        var txid = Field(sent.Out, "txid");
        Assert.Contains("pending", (await Chain("tx", txid)).Out);

        // Several nodes share a terminal: each log line names its node (its data directory's name).
        await Poll.UntilAsync(() => node.Lines.Any(l => l.Contains(" [node] info: Chain", StringComparison.Ordinal)), TestNetwork.DefaultTimeout, () => string.Join('\n', node.Lines.TakeLast(5)));
        var mined = await Chain("mine", "--blocks", "1", "--wallet", "bob");
        Assert.Equal(0, mined.Exit);
        Assert.StartsWith("Mined 1 block to", mined.Out, StringComparison.Ordinal);
        var tx = await Chain("tx", txid, "--json");
        Assert.Equal("confirmed", Field(tx.Out, "status"));
        Assert.Equal("12.5", Field((await Chain("balance", "--wallet", "bob", "--json")).Out, "confirmed"));

        // `tx` shows what a payment spends and pays, as addresses with amounts, and its fee.
        var aliceAddress = Field(alice.Out, "address");
        var detail = JsonDocument.Parse(tx.Out).RootElement;
        Assert.Equal(aliceAddress, detail.GetProperty("inputs")[0].GetProperty("address").GetString());
        Assert.Equal("50", detail.GetProperty("inputs")[0].GetProperty("amount").GetString());
        Assert.Contains(detail.GetProperty("outputs").EnumerateArray(), o => o.GetProperty("address").GetString() == bobAddress && o.GetProperty("amount").GetString() == "12.5");
        Assert.Equal("0.0001", detail.GetProperty("fee").GetString());
        Assert.Contains("1 confirmation)", (await Chain("tx", txid)).Out, StringComparison.Ordinal);

        // `block` by height or hash: the payment is in the block that confirmed it.
        var block = JsonDocument.Parse((await Chain("block", Field(tx.Out, "height"), "--json")).Out).RootElement;
        Assert.Contains(block.GetProperty("transactions").EnumerateArray(), t => t.GetProperty("txid").GetString() == txid);
        // What a payment's outputs carry in all, change included, and said so: 12.5 paid plus 37.4999 change.
        Assert.Equal("49.9999", block.GetProperty("transactions").EnumerateArray().Single(t => t.GetProperty("txid").GetString() == txid).GetProperty("total_out").GetString());
        Assert.Contains("Total out", (await Chain("block", Field(tx.Out, "height"))).Out, StringComparison.Ordinal);
        Assert.Equal(bobAddress, block.GetProperty("mined_to").GetString());
        var byHash = await Chain("block", Field(tx.Out, "block"));
        Assert.True(byHash.Exit == 0 && byHash.Out.Contains(txid, StringComparison.Ordinal), byHash.Err + byHash.Out);
        // Short forms, as the CLIs and the lab print them: any 8+ leading characters, as git takes them.
        var byPrefix = await Chain("block", Field(tx.Out, "block")[..10]);
        Assert.True(byPrefix.Exit == 0 && byPrefix.Out.Contains(txid, StringComparison.Ordinal), byPrefix.Err + byPrefix.Out);
        Assert.Equal("confirmed", Field((await Chain("tx", txid[..12], "--json")).Out, "status"));
        var tooShort = await Chain("tx", txid[..5]);
        Assert.Equal(1, tooShort.Exit);
        Assert.Contains("give 8 to 64 hex characters (INVALID_ARGUMENT)", tooShort.Err, StringComparison.Ordinal);

        // A wallet's history: what each payment took from it and paid to it.
        var history = JsonDocument.Parse((await Chain("wallet", "history", "alice", "--json")).Out).RootElement.GetProperty("payments").EnumerateArray().ToList();
        var payment = history.Single(p => p.GetProperty("txid").GetString() == txid);
        Assert.Equal(("50", "37.4999", "-12.5001"), (payment.GetProperty("sent").GetString(), payment.GetProperty("received").GetString(), payment.GetProperty("change").GetString()));
        Assert.Equal(3, history.Count(p => p.GetProperty("sent").GetString() == "0")); // the coinbases of the 3 blocks alice mined
        var bobs = JsonDocument.Parse((await Chain("wallet", "history", "bob", "--json")).Out).RootElement.GetProperty("payments").EnumerateArray().ToList();
        Assert.Contains(bobs, p => p.GetProperty("txid").GetString() == txid && p.GetProperty("received").GetString() == "12.5");

        // A wallet's name is accepted where an address is: `--to bob`.
        var byName = await Chain("send", "--wallet", "alice", "--to", "bob", "--amount", "1", "--json");
        Assert.True(byName.Exit == 0, byName.Err);
        Assert.Contains(bobAddress, (await Chain("tx", Field(byName.Out, "txid"))).Out, StringComparison.Ordinal);

        // A fan-out: one transaction paying the amount N times (and the change back), with the
        // minimum relay fee of its size; a block shows its size and when this node stored it.
        var fanOut = JsonDocument.Parse((await Chain("send", "--wallet", "alice", "--to", "bob", "--amount", "0.001", "--outputs", "1000", "--json")).Out).RootElement;
        Assert.Equal((1000, "1"), (fanOut.GetProperty("outputs").GetInt32(), fanOut.GetProperty("amount").GetString()));
        var fanOutSize = fanOut.GetProperty("size").GetInt32();
        Assert.True(fanOutSize > 40_000 && LedgerContrast.Shared.Money.Amount.Parse(fanOut.GetProperty("fee").GetString()!).MinorUnits >= fanOutSize, fanOut.ToString());
        Assert.Equal(1001, JsonDocument.Parse((await Chain("tx", fanOut.GetProperty("txid").GetString()!, "--json")).Out).RootElement.GetProperty("outputs").GetArrayLength());
        var blockHash = JsonDocument.Parse((await Chain("mine", "--blocks", "1", "--wallet", "alice", "--json")).Out).RootElement.GetProperty("blocks")[0].GetString()!;
        var fanOutBlock = JsonDocument.Parse((await Chain("block", blockHash, "--json")).Out).RootElement;
        Assert.True(fanOutBlock.GetProperty("size").GetInt32() > fanOutSize && fanOutBlock.GetProperty("received_ms").GetInt64() > 1_700_000_000_000, fanOutBlock.ToString());
        foreach (var bad in new[] { "0", "2401" })
        {
            var refusedCount = await Chain("send", "--wallet", "alice", "--to", "bob", "--amount", "0.001", "--outputs", bad);
            Assert.Equal((3, "--outputs takes a count from 1 to 2,400 (a transaction holds at most 100,000 bytes)."), (refusedCount.Exit, refusedCount.Err.Trim()));
        }

        // The miner stops and starts on an admin's word.
        Assert.Equal(0, (await Chain("mining", "start", "--wallet", "alice")).Exit);
        Assert.Equal("True", Field((await Chain("info", "--json")).Out, "mining"));
        Assert.Equal(0, (await Chain("mining", "stop")).Exit);
        Assert.Equal("False", Field((await Chain("info", "--json")).Out, "mining"));

        // An unknown transaction is a refusal (exit 1), not a success that says "unknown".
        var unknown = await Chain("tx", new string('0', 64));
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("is unknown to this node", unknown.Err, StringComparison.Ordinal);
        // A command line that does not parse is a usage error (3), not a refusal (1), in one sentence.
        var missing = await Chain("send", "--wallet", "alice", "--amount", "1");
        Assert.Equal((3, "Option '--to' is required. See `chain send --help`."), (missing.Exit, missing.Err.Trim()));
        var negative = await Chain("send", "--wallet", "alice", "--to", "bob", "--amount", "-5");
        Assert.Equal((3, "The amount must be more than zero; '-5' is negative."), (negative.Exit, negative.Err.Trim()));

        // Every failure: one sentence, a non-zero exit code.
        var typo = await Chain("send", "--wallet", "alice", "--to", bobAddress[..^1] + (bobAddress[^1] == 'q' ? 'p' : 'q'), "--amount", "1");
        Assert.Equal(3, typo.Exit);
        Assert.Contains("checksum does not match", typo.Err);
        var nobody = await Chain("balance", "--wallet", "nobody");
        Assert.Equal((3, "There is no wallet named 'nobody'"), (nobody.Exit, nobody.Err[..33]));
        var tooMuch = await Chain("send", "--wallet", "alice", "--to", bobAddress, "--amount", "100000");
        Assert.Equal(3, tooMuch.Exit);
        Assert.Contains("less than amount plus fee", tooMuch.Err);
        Assert.Equal(0, (await Chain("mine", "--blocks", "1", "--wallet", "alice")).Exit); // a coinbase too young to spend
        var utxos = JsonDocument.Parse((await Chain("utxos", "--wallet", "alice", "--json")).Out).RootElement.GetProperty("utxos");
        var immature = utxos.EnumerateArray().First(u => !u.GetProperty("mature").GetBoolean()).GetProperty("out_point").GetString()!;
        var refused = await Chain("send", "--wallet", "alice", "--to", bobAddress, "--amount", "1", "--input", immature);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("The node refused", refused.Err);
        Assert.Contains("(TX_IMMATURE_COINBASE_SPEND)", refused.Err);
        Assert.DoesNotContain("   at ", refused.Err);

        node.KillHard();
        var down = await Chain("info");
        Assert.Equal(2, down.Exit);
        Assert.Contains("Cannot reach the node", down.Err);
    }

    private static NodeService.NodeServiceClient Api(string url) => new(GrpcChannel.ForAddress(url));

    private static Task WaitForHeightAsync(string url, uint height) => NodeProbe.WaitForHeightAsync(Api(url), height);

    private static string Field(string json, string name) => JsonDocument.Parse(json).RootElement.GetProperty(name).ToString();

    public void Dispose()
    {
        TempDirectory.Delete(_root);
    }
}
