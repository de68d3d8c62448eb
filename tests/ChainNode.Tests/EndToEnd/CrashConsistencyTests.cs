using LedgerContrast.TestSupport;
using System.Globalization;
using System.Text.RegularExpressions;

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
