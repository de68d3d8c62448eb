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
    private static readonly Option<bool> s_quick = new("--quick") { Description = "Shorter runs of each experiment (fewer blocks, seconds and network sizes): the whole lab in a few minutes.", Recursive = true };
    private static readonly Option<string?> s_linkLatency = new("--link-latency") { Description = "forks: simulated one-way delay of each message between the lab's nodes, e.g. 100ms (default 100ms)." };
    private static readonly Option<string?> s_sizes = new("--nodes") { Description = "scale: chain network sizes, e.g. 3,6,12." };
    private static readonly Option<string?> s_clients = new("--clients") { Description = "scale: concurrent bank clients at each step, e.g. 1,4,16,64." };
    private static readonly Option<int> s_k = new("--confirmations", "-k") { Description = "Confirmations a merchant waits for.", DefaultValueFactory = _ => 3, Recursive = true };

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("contrast: run the same experiments on the client-server bank and the peer-to-peer chain, and report them side by side.");
        root.Options.Add(s_json);
        root.Options.Add(s_networkFile);
        root.Options.Add(s_out);
        root.Options.Add(s_k);
        root.Options.Add(s_selfHost);
        root.Options.Add(s_quick);
        root.Subcommands.Add(Experiment("double-spend", "Two spends of the same money at the same moment.", (lab, k, _) => DoubleSpendScenario.RunAsync(lab, k)));
        root.Subcommands.Add(Experiment("partition", "A 51% attack after a partition heals; the bank under a partition.", (lab, k, _) => PartitionScenario.RunAsync(lab, k)));
        root.Subcommands.Add(Experiment("outage", "Kill the bank; kill a node.", (lab, _, _) => OutageScenario.RunAsync(lab)));
        root.Subcommands.Add(Experiment("reversal", "Reverse a fraudulent payment.", (lab, k, _) => ReversalScenario.RunAsync(lab, k)));
        root.Subcommands.Add(Experiment("throughput", "Transfers/s and confirmation latency.", Throughput));
        var scale = Experiment("scale", "The bank at 1…64 concurrent clients; chain networks of 3, 6 and 12 nodes: propagation, gossip bytes, capacity.", ScaleExperiment);
        scale.Options.Add(s_sizes);
        scale.Options.Add(s_clients);
        root.Subcommands.Add(scale);
        var forks = Experiment("forks", "Stale blocks and reorgs at block intervals of 0.5–5 s, beside the propagation delay (simulated link latency).", ForksExperiment);
        forks.Options.Add(s_linkLatency);
        root.Subcommands.Add(forks);
        root.Subcommands.Add(Experiment("manage", "Copies of the ledger, bytes on disk, backups, and an upgrade: the bank restarted once, the nodes one at a time.", (lab, _, _) => ManageScenario.RunAsync(lab)));
        var all = new Command("all", "Every experiment in order, then one report (--quick: the short version).");
        all.SetAction(parse => RunExperimentsAsync(parse,
        [
            (lab, k, _) => DoubleSpendScenario.RunAsync(lab, k),
            (lab, k, _) => PartitionScenario.RunAsync(lab, k),
            (lab, _, _) => OutageScenario.RunAsync(lab),
            (lab, k, _) => ReversalScenario.RunAsync(lab, k),
            Throughput,
            ScaleExperiment,
            ForksExperiment,
            (lab, _, _) => ManageScenario.RunAsync(lab),
        ]));
        root.Subcommands.Add(all);
        root.Subcommands.Add(WatchCommand());
        return root.Parse(args).InvokeAsync();
    }

    private static Command WatchCommand()
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 for the page (0: any free port).", DefaultValueFactory = _ => 7180 };
        var command = new Command("watch", "A live view of the network in the browser: nodes, the block tree as it grows, the bank, the running experiment's steps, and controls for class.") { port };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = new CliOutput(parse.GetValue(s_json));
            NetworkFile? file = null;
            return await output.RunAsync("network", () => file?.Path ?? "the network of network.json", async () =>
            {
                file = NetworkFile.TryFind(parse.GetValue(s_networkFile))
                    ?? throw new CliException("NO_NETWORK", "No network.json found: start one with `dotnet pwsh ./run-network.ps1`, or give --network-file.");
                using var lab = new LabNetwork(file);
                Lab.Progress.Journal = LabNetwork.StepJournalOf(file);
                await using var server = await StartWatchAsync(lab, parse.GetValue(port)).ConfigureAwait(false);
                output.Success(new { url = server.Address.ToString() }, console =>
                    console.WriteLine($"Live view listening on {server.Address} (Ctrl+C stops it)"));
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellation).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
                return 0;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<Watch.WatchServer> StartWatchAsync(LabNetwork lab, int port)
    {
        try
        {
            return await Watch.WatchServer.StartAsync(lab, port).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new CliException("PORT_IN_USE", $"Cannot serve the live view on 127.0.0.1:{port} ({ex.Message.TrimEnd('.')}): give another --port.");
        }
    }

    private static Task<ScenarioResult> Throughput(LabNetwork lab, int k, ParseResult parse) =>
        parse.GetValue(s_quick) ? ThroughputScenario.RunAsync(lab, TimeSpan.FromSeconds(2), 50) : ThroughputScenario.RunAsync(lab, TimeSpan.FromSeconds(5), 100);

    private static Task<ScenarioResult> ScaleExperiment(LabNetwork lab, int k, ParseResult parse)
    {
        var settings = parse.GetValue(s_quick) ? ScaleScenario.Settings.Quick : ScaleScenario.Settings.Full;
        settings = settings with
        {
            Nodes = IntList(parse.GetValue(s_sizes), "--nodes", 2, 16) ?? settings.Nodes,
            Clients = IntList(parse.GetValue(s_clients), "--clients", 1, 256) ?? settings.Clients,
        };
        return ScaleScenario.RunAsync(lab, settings);
    }

    private static Task<ScenarioResult> ForksExperiment(LabNetwork lab, int k, ParseResult parse)
    {
        var settings = parse.GetValue(s_quick) ? ForksScenario.Settings.Quick : ForksScenario.Settings.Full;
        if (parse.GetValue(s_linkLatency) is { } text)
        {
            settings = settings with { LinkLatency = Duration(text, "--link-latency") };
        }
        return ForksScenario.RunAsync(lab, settings);
    }

    private static List<int>? IntList(string? text, string option, int min, int max)
    {
        if (text is null)
        {
            return null;
        }
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                throw new CliException("INVALID_ARGUMENT", $"{option} takes numbers from {min} to {max} separated by commas; '{part}' is not one.");
            }
            values.Add(value);
        }
        return values.Count > 0 ? values : throw new CliException("INVALID_ARGUMENT", $"{option} needs at least one number.");
    }

    private static TimeSpan Duration(string text, string option)
    {
        var trimmed = text.Trim();
        var (number, scale) = trimmed.EndsWith("ms", StringComparison.Ordinal) ? (trimmed[..^2], 1.0) : trimmed.EndsWith('s') ? (trimmed[..^1], 1000.0) : (trimmed, 1.0);
        return double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 0 && value * scale <= 10_000
            ? TimeSpan.FromMilliseconds(value * scale)
            : throw new CliException("INVALID_ARGUMENT", $"{option} takes a delay from 0 to 10s, e.g. 100ms; '{text}' is not one.");
    }

    private static Command Experiment(string name, string description, Func<LabNetwork, int, ParseResult, Task<ScenarioResult>> run)
    {
        var command = new Command(name, description);
        command.SetAction(parse => RunExperimentsAsync(parse, [run]));
        return command;
    }

    private static Task<int> RunExperimentsAsync(ParseResult parse, IReadOnlyList<Func<LabNetwork, int, ParseResult, Task<ScenarioResult>>> experiments)
    {
        var output = new CliOutput(parse.GetValue(s_json));
        NetworkFile? file = null;
        return output.RunAsync("network", () => file?.Path ?? "the network of network.json", async () =>
        {
            await using var privateNetwork = parse.GetValue(s_selfHost) ? await PrivateNetwork.StartAsync(new Lab.Progress("self-host")).ConfigureAwait(false) : null;
            file = NetworkFile.TryFind(privateNetwork?.NetworkFilePath ?? parse.GetValue(s_networkFile))
                ?? throw new CliException("NO_NETWORK", "No network.json found: start one with `dotnet pwsh ./run-network.ps1`, give --network-file, or use --self-host.");
            using var lab = new LabNetwork(file);
            Lab.Progress.Journal = LabNetwork.StepJournalOf(file);
            var results = new List<ScenarioResult>();
            foreach (var experiment in experiments)
            {
                var loadBefore = MachineLoad.Now();
                var result = await experiment(lab, Math.Max(1, parse.GetValue(s_k)), parse).ConfigureAwait(false);
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
