using System.CommandLine;
using LedgerContrast.ChainNode.Bench;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Hosting;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Shared.Cli;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace LedgerContrast.ChainNode.Cli;

/// <summary>The `chain` executable: a peer-to-peer node (`chain node`) and the wallet and client verbs.</summary>
public static partial class ChainCli
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print one JSON document instead of tables.", Recursive = true };

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(
            "ChainNode: a peer-to-peer proof-of-work chain. Equal nodes gossip transactions and blocks; consensus by most work.");
        root.Options.Add(s_json);
        root.Subcommands.Add(NodeCommand.Create());
        root.Subcommands.Add(VerifyCommand());
        root.Subcommands.Add(BenchCommand());
        ClientCommands.AddTo(root, s_json);
        return CliOutput.InvokeAsync(root.Parse(args));
    }

    private static Command VerifyCommand()
    {
        var data = new Option<string>("--data") { Description = "Data directory of a stopped node.", Required = true };
        var network = new Option<string>("--network") { Description = "Network name.", DefaultValueFactory = _ => ChainParameters.DefaultNetwork };
        var regtest = new Option<bool>("--regtest") { Description = "The node ran with --regtest." };
        var maturity = new Option<int?>("--coinbase-maturity") { Description = "As the node ran." };
        var interval = new Option<TimeSpan>("--block-interval") { Description = "As the node ran.", DefaultValueFactory = _ => TimeSpan.FromSeconds(5) };
        var command = new Command("verify", "Rebuild the UTXO set from a stopped node's stored blocks and compare it with the stored set.") { data, network, regtest, maturity, interval };
        command.SetAction(parse =>
        {
            var output = new CliOutput(parse.GetValue(s_json));
            return output.RunAsync("node", () => parse.GetValue(data), () =>
            {
                var directory = parse.GetValue(data)!;
                if (!File.Exists(Path.Combine(directory, Storage.ChainStore.FileName)))
                {
                    throw new CliException("NO_CHAIN", $"There is no chain in {directory}.");
                }
                var parameters = new NodeOptions { DataDirectory = directory, Network = parse.GetValue(network)!, Regtest = parse.GetValue(regtest), CoinbaseMaturity = parse.GetValue(maturity), BlockInterval = parse.GetValue(interval) }.ToParameters();
                // The store as it is, read-only: no fork choice, no mempool file, nothing written.
                using var store = new Storage.ChainStore(directory, readOnly: true);
                var chain = new Consensus.Blockchain(parameters, store, forkChoice: false);
                var differences = chain.Verify();
                var tip = chain.Tip;
                var utxos = chain.Utxos.Count;
                var model = new { ok = differences.Count == 0, height = tip.Height, tip = tip.Hash.ToString(), utxos, differences };
                if (differences.Count > 0)
                {
                    if (output.Json)
                    {
                        output.Success(model, _ => { });
                        return Task.FromResult(CliOutput.Refused);
                    }
                    return Task.FromResult(output.Fail(CliOutput.Refused, "UTXO_MISMATCH", $"Verification FAILED at height {tip.Height}: {differences[0]} (and {differences.Count - 1} more)."));
                }
                return Task.FromResult(output.Success(model, console => console.MarkupLineInterpolated(
                    $"Verified: tip {tip.Hash} at height {tip.Height}; the {utxos} unspent outputs equal a rebuild from the stored blocks.")));
            });
        });
        return command;
    }

    private static Command BenchCommand()
    {
        var transactions = new Option<int>("--transactions") { Description = "Independent signed transactions per measurement.", DefaultValueFactory = _ => 4_000 };
        var seconds = new Option<double>("--hash-seconds") { Description = "Length of each hash-rate run.", DefaultValueFactory = _ => 3 };
        var network = new Option<bool>("--network") { Description = "Instead: block propagation over one hop (two nodes) and 8-node line and mesh networks on loopback (after 60 warm-up blocks), and catch-up sync of 2,000 blocks." };
        var lengths = new Option<string?>("--chain-length") { Description = "Instead: sync a fresh node to these chain lengths (e.g. 10000,50000), timing its startup at each and blocks/s at the start and end of the range." };
        var command = new Command("bench", "Measure mempool acceptance, block connection and hash rate against the raw library loops.") { transactions, seconds, network, lengths };
        command.SetAction(async parse =>
        {
            var output = new CliOutput(parse.GetValue(s_json));
            return await output.RunAsync("node", () => "this machine", async () =>
            {
            if (parse.GetValue(lengths) is { } lengthList)
            {
                var growth = await ChainGrowthBench.RunAsync(ParseLengths(lengthList)).ConfigureAwait(false);
                return output.Success(new
                {
                    sync_blocks_per_second_blocks_1001_to_2000 = growth.BlocksPerSecondAtStart,
                    checkpoints = growth.Checkpoints.Select(c => new { blocks = c.Blocks, startup_seconds = c.StartupSeconds, sync_blocks_per_second_last_1000 = c.BlocksPerSecondNearHere }),
                    end_to_start_ratio = growth.EndToStartRatio,
                }, console =>
                {
                    var table = new Table().AddColumns("Chain length", "Startup", "Sync, last 1,000 blocks before it");
                    table.AddRow($"{2 * ChainGrowthBench.Window:N0}", "", $"{growth.BlocksPerSecondAtStart:N0} blocks/s (blocks 1,001–2,000, after warm-up)");
                    foreach (var c in growth.Checkpoints)
                    {
                        table.AddRow($"{c.Blocks:N0}", $"{c.StartupSeconds:F2} s", $"{c.BlocksPerSecondNearHere:N0} blocks/s");
                    }
                    console.Write(table);
                    console.MarkupLineInterpolated($"Sync speed at the end of the range is {growth.EndToStartRatio:F2} x the speed at its start.");
                });
            }
            if (parse.GetValue(network))
            {
                var report = await NetworkBench.RunAsync().ConfigureAwait(false);
                return output.Success(new { propagation = report.Propagation, sync_blocks = report.SyncBlocks, sync_seconds = report.SyncSeconds, sync_blocks_per_second = report.SyncBlocksPerSecond }, console =>
                {
                    var table = new Table().AddColumns("Topology", "Nodes", "Blocks", "p50 to farthest node", "p90", "max");
                    foreach (var p in report.Propagation)
                    {
                        table.AddRow(p.Topology, $"{p.Nodes}", $"{p.Blocks}", $"{p.P50Ms:F1} ms", $"{p.P90Ms:F1} ms", $"{p.MaxMs:F1} ms");
                    }
                    console.Write(table);
                    console.MarkupLineInterpolated($"Catch-up sync of a fresh node: {report.SyncBlocks} blocks in {report.SyncSeconds:F1} s = {report.SyncBlocksPerSecond:F0} blocks/s.");
                    console.MarkupLine("[grey]Propagation: from the miner's node having stored and connected a block to the farthest node having done the same (empty blocks, all nodes in this process, after 60 warm-up blocks). Sync: from the fresh node's start to its tip at the source's height, handshake included.[/]");
                });
            }
            var figures = await ChainBench.RunAsync(parse.GetValue(transactions), TimeSpan.FromSeconds(parse.GetValue(seconds))).ConfigureAwait(false);
            return output.Success(figures.Select(f => new { f.Name, f.Value, f.Unit, f.Baseline, baseline_name = f.BaselineName, f.Ratio }), console =>
            {
                var table = new Table().AddColumns("Measurement", "Rate", "Raw library baseline", "Ratio");
                foreach (var f in figures)
                {
                    table.AddRow(f.Name, $"{f.Value:N0} {f.Unit}", $"{f.Baseline:N0} ({f.BaselineName})", $"{f.Ratio:F2}");
                }
                console.Write(table);
            });
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static List<int> ParseLengths(string text)
    {
        try
        {
            return [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture))];
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw new CliException("BAD_ARGUMENT", $"--chain-length takes whole numbers separated by commas, e.g. 10000,50000; '{text}' is not.");
        }
    }
}
