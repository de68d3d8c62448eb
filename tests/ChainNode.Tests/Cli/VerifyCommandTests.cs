using System.Security.Cryptography;
using System.Text.Json;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Shared.Money;
using LedgerContrast.TestSupport;
using static LedgerContrast.ChainNode.Tests.Harness.Keys;

namespace LedgerContrast.ChainNode.Tests.Cli;

/// <summary>`chain verify` as a person runs it on a stopped node's data directory.</summary>
public sealed class VerifyCommandTests : IDisposable
{
    private readonly string _data = TempDirectory.NewPath("lc-chain-verify-");

    /// <summary>
    /// It reads the store as it is: no node is built around it, so no fork choice runs, no
    /// mempool file is rewritten, and no byte of the directory changes — a check that cannot
    /// damage what it checks.
    /// </summary>
    [Fact]
    public async Task Verify_checks_a_stopped_nodes_store_without_writing_a_byte_of_its_directory()
    {
        using (var node = new TestNode(dataDirectory: _data))
        {
            var funding = (await node.MineAsync(Alice)).Transactions[0];
            await node.MineManyAsync(4, Miner);
            node.Engine.SubmitTransaction(node.Spend(funding, 0, Alice, (Bob, 50 * Amount.MinorPerUnit - 1_000)));
        }
        var before = Snapshot();
        Assert.Contains(before.Keys, f => f.EndsWith("mempool.dat", StringComparison.Ordinal));

        var verify = await ServerProcess.RunAsync("chain.dll", ["verify", "--data", _data, "--regtest", "--coinbase-maturity", "2", "--json"]);

        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        var report = JsonDocument.Parse(verify.Stdout).RootElement;
        Assert.True(report.GetProperty("ok").GetBoolean(), verify.Stdout);
        Assert.Equal(5u, report.GetProperty("height").GetUInt32());
        Assert.Equal(before, Snapshot());
    }

    /// <summary>Every file of the data directory: its bytes' hash and when it was last written.</summary>
    private Dictionary<string, (string Hash, DateTime Written)> Snapshot() =>
        Directory.EnumerateFiles(_data, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(_data, f),
            f => (Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))), File.GetLastWriteTimeUtc(f)));

    public void Dispose() => TempDirectory.Delete(_data);
}
