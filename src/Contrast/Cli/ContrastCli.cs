using System.CommandLine;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Contrast.Report;
using LedgerContrast.Contrast.Scenarios;
using LedgerContrast.Shared.Cli;
using Spectre.Console;

namespace LedgerContrast.Contrast.Cli;

/// <summary>`contrast`: the experiments of docs/ARCHITECTURE.md §1 against the network in network.json, side by side.</summary>
public static class ContrastCli
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print report.json's content instead of the table.", Recursive = true };
    private static readonly Option<string?> s_networkFile = new("--network-file") { Description = "network.json of run-network.ps1 (default: $LC_NETWORK_FILE or .network/network.json here or above).", Recursive = true };
    private static readonly Option<string?> s_out = new("--out") { Description = "Where report.md/json/html go (default: a 'report' folder beside network.json).", Recursive = true };
    private static readonly Option<bool> s_selfHost = new("--self-host") { Description = "Start a private network for this run (run-network.ps1 with its own ports and data), and remove it after.", Recursive = true };
    private static readonly Option<int> s_k = new("--confirmations", "-k") { Description = "Confirmations a merchant waits for.", DefaultValueFactory = _ => 3, Recursive = true };

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("contrast: run the same experiments on the client-server bank and the peer-to-peer chain, and report them side by side.");
        root.Options.Add(s_json);
        root.Options.Add(s_networkFile);
        root.Options.Add(s_out);
        root.Options.Add(s_k);
        root.Options.Add(s_selfHost);
        root.Subcommands.Add(Experiment("double-spend", "Two spends of the same money at the same moment.", (lab, k) => DoubleSpendScenario.RunAsync(lab, k)));
        root.Subcommands.Add(Experiment("partition", "A 51% attack after a partition heals; the bank under a partition.", (lab, k) => PartitionScenario.RunAsync(lab, k)));
        root.Subcommands.Add(Experiment("outage", "Kill the bank; kill a node.", (lab, _) => OutageScenario.RunAsync(lab)));
        root.Subcommands.Add(Experiment("reversal", "Reverse a fraudulent payment.", (lab, k) => ReversalScenario.RunAsync(lab, k)));
        root.Subcommands.Add(Experiment("throughput", "Transfers/s and confirmation latency.", (lab, _) => ThroughputScenario.RunAsync(lab, TimeSpan.FromSeconds(5), 100)));
        root.Subcommands.Add(Experiment("manage", "Copies of the ledger, bytes on disk, backups, and an upgrade: the bank restarted once, the nodes one at a time.", (lab, _) => ManageScenario.RunAsync(lab)));
        var all = new Command("all", "Every experiment in order, then one report.");
        all.SetAction(parse => RunExperimentsAsync(parse,
        [
            (lab, k) => DoubleSpendScenario.RunAsync(lab, k),
            (lab, k) => PartitionScenario.RunAsync(lab, k),
            (lab, _) => OutageScenario.RunAsync(lab),
            (lab, k) => ReversalScenario.RunAsync(lab, k),
            (lab, _) => ThroughputScenario.RunAsync(lab, TimeSpan.FromSeconds(5), 100),
            (lab, _) => ManageScenario.RunAsync(lab),
        ]));
        root.Subcommands.Add(all);
        return root.Parse(args).InvokeAsync();
    }

    private static Command Experiment(string name, string description, Func<LabNetwork, int, Task<ScenarioResult>> run)
    {
        var command = new Command(name, description);
        command.SetAction(parse => RunExperimentsAsync(parse, [run]));
        return command;
    }

    private static Task<int> RunExperimentsAsync(ParseResult parse, IReadOnlyList<Func<LabNetwork, int, Task<ScenarioResult>>> experiments)
    {
        var output = new CliOutput(parse.GetValue(s_json));
        NetworkFile? file = null;
        return output.RunAsync("network", () => file?.Path ?? "the network of network.json", async () =>
        {
            await using var privateNetwork = parse.GetValue(s_selfHost) ? await PrivateNetwork.StartAsync(new Lab.Progress("self-host")).ConfigureAwait(false) : null;
            file = NetworkFile.TryFind(privateNetwork?.NetworkFilePath ?? parse.GetValue(s_networkFile))
                ?? throw new CliException("NO_NETWORK", "No network.json found: start one with `dotnet pwsh ./run-network.ps1`, give --network-file, or use --self-host.");
            using var lab = new LabNetwork(file);
            var results = new List<ScenarioResult>();
            foreach (var experiment in experiments)
            {
                var loadBefore = MachineLoad.Now();
                var result = await experiment(lab, Math.Max(1, parse.GetValue(s_k))).ConfigureAwait(false);
                result.Machine = new MachineSnapshot(Environment.ProcessorCount, loadBefore?[0], MachineLoad.Now()?[0]);
                results.Add(result);
            }
            var rows = ContrastReport.Rows(results, file.Nodes.Count, file.Topology);
            var directory = parse.GetValue(s_out)
                ?? (privateNetwork is not null ? Path.Combine(Environment.CurrentDirectory, "contrast-report") : Path.Combine(Path.GetDirectoryName(file.Path!)!, "report"));
            ContrastReport.Write(directory, results, rows);
            var exit = output.Success(ContrastReport.Json(results, rows), console =>
            {
                var table = new Table().AddColumns("Dimension", "CentralBank (client-server)", "ChainNode network (peer-to-peer)");
                foreach (var row in rows)
                {
                    table.AddRow(Markup.Escape(row.Dimension), Markup.Escape(row.Bank), Markup.Escape(row.Chain));
                }
                console.Write(table);
                foreach (var note in results.SelectMany(r => r.Notes))
                {
                    console.MarkupLineInterpolated($"[red]{note}[/]");
                }
                console.MarkupLineInterpolated($"Report: {Path.Combine(directory, "report.html")} (and report.md, report.json)");
            });
            return results.All(r => r.Passed) ? exit : CliOutput.Refused;
        });
    }
}
