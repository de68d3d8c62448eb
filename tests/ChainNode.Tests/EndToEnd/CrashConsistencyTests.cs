using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Storage;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.TestSupport;
using Block = LedgerContrast.Shared.Chain.Block;

namespace LedgerContrast.ChainNode.Tests.EndToEnd;

/// <summary>
/// kill -9 a mining node at an arbitrary moment, several times over: every restart finds a
/// consistent node (UTXO set equal to a rebuild from its blocks) at or past the last block it
/// reported as committed.
/// </summary>
public sealed partial class CrashConsistencyTests : IDisposable
{
    private const string MinerAddress = "lct1qlycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmus9creje";
    private readonly string _data = TempDirectory.NewPath("lc-chain-crash-");

    [Fact]
    public async Task A_node_killed_mid_mining_restarts_consistent_at_its_last_committed_tip()
    {
        var random = new Random(7);
        var lastCommitted = 0;
        for (var round = 0; round < 3; round++)
        {
            using (var node = await ServerProcess.StartAsync("chain.dll", ["node", "--data", _data, "--port", "0", "--regtest", "--mine", "--miner-address", MinerAddress]))
            {
                var goal = lastCommitted + 50 + random.Next(100);
                await node.WaitForLineAsync(MinedLine(), TimeSpan.FromSeconds(60), m => Height(m) >= goal);
                await Task.Delay(random.Next(0, 30)); // an arbitrary moment, mid-write or not
                node.KillHard();
                lastCommitted = node.Lines.Select(l => MinedLine().Match(l)).Where(m => m.Success).Max(Height);
            }

            var verify = await ServerProcess.RunAsync("chain.dll", ["verify", "--data", _data, "--regtest", "--json"]);
            Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
            var height = int.Parse(HeightField().Match(verify.Stdout).Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(height >= lastCommitted, $"restarted at {height}, but block {lastCommitted} had been reported committed");
            lastCommitted = height;
        }
    }

    /// <summary>
    /// Each step of a reorganisation commits on its own, so a kill can land between any two. The
    /// first round times the whole reorganisation; each later round kills the node at a random
    /// moment within that time. Whatever moment it was, the node restarts on the heaviest chain
    /// it holds, consistent with its blocks.
    /// </summary>
    [Fact]
    public async Task A_node_killed_during_a_long_reorg_restarts_on_the_heaviest_chain_it_holds()
    {
        const int lightLength = 20;
        using var builder = new TestNode(ChainParameters.ForRegtest());
        var fork = builder.Tip;
        var light = new List<Block>();
        for (var i = 0; i < lightLength; i++)
        {
            light.Add(await builder.MineAsync(Keys.Alice));
        }
        var heavy = new List<Block>();
        var parent = fork;
        for (var i = 0; i <= lightLength; i++)
        {
            heavy.Add(builder.NewBlock(parent).PayingTo(Keys.Bob).Build());
            await builder.Engine.SubmitBlockAsync(heavy[^1]);
            parent = builder.Engine.Read(n => n.Chain.Find(heavy[^1].Hash))!;
        }

        var random = new Random(11);
        var reorgTime = TimeSpan.Zero;
        var cutShort = 0;
        for (var round = 0; round < 5; round++)
        {
            var data = Path.Combine(_data, $"round{round}");
            using (var node = await ServerProcess.StartAsync("chain.dll", ["node", "--data", data, "--port", "0", "--regtest"]))
            {
                using var channel = GrpcChannel.ForAddress(node.Url);
                var api = new NodeService.NodeServiceClient(channel);
                foreach (var block in light.Concat(heavy.SkipLast(1)))
                {
                    await api.SubmitBlockAsync(new SubmitBlockRequest { Block = block.ToProto() });
                }
                var clock = Stopwatch.StartNew();
                var reorg = api.SubmitBlockAsync(new SubmitBlockRequest { Block = heavy[^1].ToProto() }).ResponseAsync;
                if (round == 0)
                {
                    await reorg;
                    reorgTime = clock.Elapsed;
                }
                else
                {
                    await Task.Delay(TimeSpan.FromTicks((long)(reorgTime.Ticks * random.NextDouble())));
                }
                node.KillHard();
            }

            StoredState stored;
            using (var store = new ChainStore(data))
            {
                stored = new(store.LoadTip()!.Value.ToString(), store.LoadBlock(lightLength + 1, heavy[^1].Hash) is not null);
            }
            if (stored.Tip != light[^1].Hash.ToString() && stored.Tip != heavy[^1].Hash.ToString())
            {
                cutShort++;
            }
            // The store as the kill left it is consistent (verify reads it as it is, writing nothing)…
            var verify = await ServerProcess.RunAsync("chain.dll", ["verify", "--data", data, "--regtest", "--json"]);
            Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
            Assert.Equal(stored.Tip, JsonDocument.Parse(verify.Stdout).RootElement.GetProperty("tip").GetString());
            // …and the node restarted on it finishes the reorganisation before it serves anyone.
            string? tip;
            using (var restarted = await ServerProcess.StartAsync("chain.dll", ["node", "--data", data, "--port", "0", "--regtest"]))
            {
                using var channel = GrpcChannel.ForAddress(restarted.Url);
                tip = ChainProto.HashFromProto((await new NodeService.NodeServiceClient(channel).GetInfoAsync(new GetInfoRequest())).TipHash, "tip").ToString();
            }
            var expected = stored.HeavyTipStored ? heavy[^1] : light[^1];
            Assert.True(expected.Hash.ToString() == tip,
                $"round {round}: killed with the stored tip at {stored.Tip[..12]} (heavy tip stored: {stored.HeavyTipStored}); restarted on {tip?[..12]}, expected {expected.Hash.ToString()[..12]}");
        }
        Console.WriteLine($"{cutShort} of 4 kills landed in the middle of the reorganisation (reorg took {reorgTime.TotalMilliseconds:F0} ms)");
    }

    private sealed record StoredState(string Tip, bool HeavyTipStored);

    private static int Height(Match match) => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Mined block (\d+):")]
    private static partial Regex MinedLine();

    [GeneratedRegex(@"""height"": (\d+)")]
    private static partial Regex HeightField();

    public void Dispose()
    {
        TempDirectory.Delete(_data);
    }
}
