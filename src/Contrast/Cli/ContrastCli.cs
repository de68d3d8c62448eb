using LedgerContrast.Shared.Measurement;
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
    private static readonly Option<bool> s_emulate = new("--emulate") { Description = "Over the emulated network's links (run-network.ps1 -Emulate; Linux, root): partition by dropping packets; forks and scale on lab nodes in namespaces of their own." };
    private static readonly Option<string?> s_bandwidth = new("--bandwidth") { Description = "With --emulate: each lab node's link, e.g. 10mbit (default: forks 10mbit, scale the run's links)." };
    private static readonly Option<PrivateChain.Topology> s_topology = new("--topology") { Description = "scale: whom the lab's nodes dial: random (earlier nodes, the default), line, ring or mesh (built anew at each size).", DefaultValueFactory = _ => PrivateChain.Topology.Random };
    private static readonly Option<string?> s_sizes = new("--nodes") { Description = "scale: chain network sizes, e.g. 3,6,12." };
    private static readonly Option<string?> s_clients = new("--clients") { Description = "scale: concurrent bank clients at each step, e.g. 1,4,16,64." };
    private static readonly Option<bool> s_long = new("--long") { Description = $"partition: longer than 144 blocks ({PartitionScenario.LongMinorityBlocks} against {PartitionScenario.LongMajorityBlocks}), on regtest lab nodes of its own; the report says how deep the heal reorganised." };
    private static readonly Option<int?> s_history = new("--history") { Description = "hybrid: on a private chain of this many full blocks (e.g. 10000) instead of the lab's nearly empty ones." };
    private static readonly Option<int> s_paymentsPerBlock = new("--payments-per-block") { Description = "hybrid --history: payments in each block (default 30).", DefaultValueFactory = _ => 30 };
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
        foreach (var experiment in s_experiments)
        {
            var command = new Command(experiment.Name, experiment.Description);
            command.SetAction(parse => RunExperimentsAsync(parse, [experiment]));
            if (experiment.Name == "scale")
            {
                command.Options.Add(s_sizes);
                command.Options.Add(s_clients);
                command.Options.Add(s_topology);
                command.Options.Add(s_bandwidth);
            }
            if (experiment.Name == "forks")
            {
                command.Options.Add(s_linkLatency);
                command.Options.Add(s_bandwidth);
            }
            if (experiment.Name == "partition")
            {
                command.Options.Add(s_long);
            }
            if (experiment.Name == "hybrid")
            {
                command.Options.Add(s_history);
                command.Options.Add(s_paymentsPerBlock);
            }
            if (experiment.Name is "forks" or "scale" or "partition")
            {
                command.Options.Add(s_emulate);
            }
            root.Subcommands.Add(command);
        }
        var all = new Command("all", "Every experiment in order, then one report (--quick: the short version).");
        all.SetAction(parse => RunExperimentsAsync(parse, s_experiments));
        root.Subcommands.Add(all);
        root.Subcommands.Add(TourCommand());
        root.Subcommands.Add(WatchCommand());
        root.Subcommands.Add(EmulateCommand.Create(s_json, s_networkFile));
        return CliOutput.InvokeAsync(root.Parse(args));
    }

    /// <summary>One experiment: its command name, its help line, and for the tour, its title and the two sentences that introduce it in class.</summary>
    private sealed record LabExperiment(string Name, string Description, string Title, string Explanation, Func<LabNetwork, int, ParseResult, Task<ScenarioResult>> Run);

    private static readonly LabExperiment[] s_experiments =
    [
        new("double-spend", "Two spends of the same money at the same moment.", "Double spend",
            "Alice spends the same money twice at the same moment, at the bank and on the chain. The bank's one ledger decides at once; the chain's nodes each keep the spend they saw first until a block decides.",
            (lab, k, _) => DoubleSpendScenario.RunAsync(lab, k)),
        new("partition", "A 51% attack after a partition heals; the bank under a partition.", "Finality under a partition",
            "We cut the network in two: bob is paid on the small side and waits for confirmations, while the big side spends the same coins to carol. When the network heals, the heavier chain wins and bob's confirmed payment disappears; the bank's cut-off client simply gets an error.",
            (lab, k, parse) => PartitionScenario.RunAsync(lab, k, parse.GetValue(s_long), parse.GetValue(s_emulate))),
        new("outage", "Kill the bank; kill a node; kill the replicated bank's leader (with -BankReplicas) 10 times (3 with --quick).", "Reliability",
            "We kill -9 the bank while a client keeps paying, then one chain node. Every bank client is down until the one server is back; the chain's other nodes carry on; a replicated bank's clients wait only for the next leader's election.",
            (lab, _, parse) => OutageScenario.RunAsync(lab, parse.GetValue(s_quick) ? 3 : 10)),
        new("reversal", "Reverse a fraudulent payment.", "Governance",
            "Alice is tricked into paying mallory. The bank's operator reverses it with an audited compensating entry; on the chain nobody can.",
            (lab, k, _) => ReversalScenario.RunAsync(lab, k)),
        new("throughput", "Transfers/s and confirmation latency.", "Performance",
            "Many clients pay at once. The bank answers in milliseconds, final; the chain accepts at once but confirms only with the next block.",
            Throughput),
        new("scale", "The bank at 1…64 concurrent clients; chain networks of 3, 6 and 12 nodes: propagation, gossip bytes, capacity.", "Scalability",
            "We load the bank with more and more clients, and grow a chain network from 3 to 12 nodes. One server saturates where its machine does; every chain node adds copies and gossip, not capacity.",
            ScaleExperiment),
        new("forks", "Stale blocks and reorgs at block intervals of 0.5–5 s, beside the propagation delay (simulated link latency).", "Forks and stale blocks",
            "Three miners find blocks faster and faster while each message between them takes 100 ms. When blocks come about as fast as they travel, miners build on stale tips and their blocks are orphaned — why Bitcoin waits ten minutes.",
            ForksExperiment),
        new("security", "Take alice's money without her credential: refused at the bank and on the chain; with it, stolen: accepted by both.", "Security",
            "Mallory tries to spend alice's money with no token, a made-up token and her own token at the bank, and with forged signatures on the chain: every attempt is refused. Then she steals alice's token and alice's key, and both systems obey her: each trusts whoever holds the credential.",
            (lab, _, _) => SecurityScenario.RunAsync(lab)),
        new("manage", "Copies of the ledger, bytes on disk, backups, and an upgrade: the bank restarted once, the nodes one at a time.", "Management overhead",
            "We count the copies of the ledger and what they weigh, and upgrade each system while payments go on. The bank is one file to back up and one restart every client notices; the chain is many full copies and many restarts nobody notices.",
            (lab, _, _) => ManageScenario.RunAsync(lab)),
        new("hybrid", "A light wallet (headers, filters, proofs) against a full node from nothing, and what a lying node or a lying bank gets a client to show.", "The hybrid: a light wallet",
            "A phone wallet keeps only headers and asks full nodes, client-server style, but checks every answer against the chain; a bank client can only believe its server. We put a lying server in front of each and see what each client shows.",
            HybridExperiment),
    ];

    private static Command TourCommand()
    {
        var auto = new Option<int?>("--auto") { Description = "Go on by itself after this many seconds instead of waiting for Enter." };
        var only = new Option<string?>("--only") { Description = "Just these experiments, e.g. double-spend,forks (default: all of them)." };
        var command = new Command("tour", "A guided lecture: each experiment announced and explained in two sentences, run, then a pause for Enter (or --auto N seconds); one report at the end.") { auto, only };
        command.SetAction(parse =>
        {
            var names = parse.GetValue(only)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = names?.FirstOrDefault(n => s_experiments.All(e => e.Name != n));
            if (unknown is not null)
            {
                Console.Error.WriteLine($"There is no experiment '{unknown}'; there are: {string.Join(", ", s_experiments.Select(e => e.Name))}.");
                return Task.FromResult(CliOutput.BadInput);
            }
            var chosen = names is null ? s_experiments : [.. s_experiments.Where(e => names.Contains(e.Name))];
            var seconds = parse.GetValue(auto);
            return RunExperimentsAsync(parse, chosen, async (index, experiment, result) =>
            {
                if (result is null)
                {
                    Console.WriteLine();
                    Console.WriteLine($"── Experiment {index + 1} of {chosen.Length}: {experiment.Title} ──");
                    Console.WriteLine(experiment.Explanation);
                    Console.WriteLine();
                    return;
                }
                foreach (var verdict in result.Verdicts)
                {
                    Console.WriteLine($"{verdict.Dimension} — bank: {verdict.Bank}");
                    if (verdict.Replicated is { } replicated)
                    {
                        Console.WriteLine($"{new string(' ', verdict.Dimension.Length)} — replicated bank: {replicated}");
                    }
                    Console.WriteLine($"{new string(' ', verdict.Dimension.Length)} — chain: {verdict.Chain}");
                }
                if (index + 1 == chosen.Length)
                {
                    return;
                }
                if (seconds is { } wait)
                {
                    Console.WriteLine($"(next in {wait} s)");
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, wait))).ConfigureAwait(false);
                }
                else
                {
                    Console.WriteLine("Press Enter for the next experiment.");
                    await Task.Run(Console.ReadLine).ConfigureAwait(false);
                }
            });
        });
        return command;
    }

    private static Command WatchCommand()
    {
        var port = new Option<int>("--port") { Description = "Port for the page (0: any free port).", DefaultValueFactory = _ => 7180 };
        var host = new Option<string>("--host") { Description = "Address for the page: 127.0.0.1, or in an emulated run the clients' end of its window (run-network.ps1 -Emulate -Watch opens one).", DefaultValueFactory = _ => "127.0.0.1" };
        var command = new Command("watch", "A live view of the network in the browser: nodes, the block tree as it grows, the bank, the running experiment's steps, and controls for class.") { port, host };
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
                Lab.Progress.RefusalJournal = LabNetwork.RefusalJournalOf(file);
                var address = System.Net.IPAddress.TryParse(parse.GetValue(host), out var parsed) ? parsed
                    : throw new CliException("INVALID_ARGUMENT", $"--host takes an IP address, e.g. 127.0.0.1; '{parse.GetValue(host)}' is not one.");
                await using var server = await StartWatchAsync(lab, parse.GetValue(port), address).ConfigureAwait(false);
                output.Success(new { url = server.Address.ToString() }, console =>
                    console.WriteLine($"Live view listening on {server.Address} (Ctrl+C stops it)"));
                await server.WaitForShutdownAsync(cancellation).ConfigureAwait(false);
                return 0;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<Watch.WatchServer> StartWatchAsync(LabNetwork lab, int port, System.Net.IPAddress host)
    {
        try
        {
            return await Watch.WatchServer.StartAsync(lab, port, host).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new CliException("PORT_IN_USE", $"Cannot serve the live view on {host}:{port} ({ex.Message.TrimEnd('.')}): give another --port.");
        }
    }

    private static Task<ScenarioResult> Throughput(LabNetwork lab, int k, ParseResult parse) =>
        parse.GetValue(s_quick) ? ThroughputScenario.RunAsync(lab, TimeSpan.FromSeconds(2), 50) : ThroughputScenario.RunAsync(lab, TimeSpan.FromSeconds(5), 100);

    private static Task<ScenarioResult> ScaleExperiment(LabNetwork lab, int k, ParseResult parse)
    {
        var settings = parse.GetValue(s_quick) ? ScaleScenario.Settings.Quick : ScaleScenario.Settings.Full;
        settings = settings with
        {
            Nodes = IntList(parse.GetValue(s_sizes), "--nodes", 2, 32) ?? settings.Nodes,
            Clients = IntList(parse.GetValue(s_clients), "--clients", 1, 256) ?? settings.Clients,
            Topology = parse.GetValue(s_topology),
        };
        if (parse.GetValue(s_emulate))
        {
            var emulation = lab.File.Emulation ?? throw new CliException("NOT_EMULATED", "scale --emulate needs an emulated network: start it with run-network.ps1 -Emulate (Linux, root), and run contrast in its clients namespace.");
            var links = Emulation.LinkShape.Of(emulation.Link);
            settings = settings with { Links = parse.GetValue(s_bandwidth) is { } rate ? links with { BitsPerSecond = Emulation.LinkShape.ParseBandwidth(rate, "--bandwidth") } : links };
        }
        else if (parse.GetValue(s_bandwidth) is not null)
        {
            throw new CliException("INVALID_ARGUMENT", "--bandwidth limits the emulated links: add --emulate.");
        }
        return ScaleScenario.RunAsync(lab, settings);
    }

    private static Task<ScenarioResult> HybridExperiment(LabNetwork lab, int k, ParseResult parse)
    {
        if (parse.GetValue(s_history) is not { } blocks)
        {
            return parse.GetResult(s_paymentsPerBlock) is { Implicit: false }
                ? throw new CliException("INVALID_ARGUMENT", "--payments-per-block sizes the blocks of --history: add --history.")
                : HybridScenario.RunAsync(lab, k);
        }
        var payments = parse.GetValue(s_paymentsPerBlock);
        if (blocks is < 20 or > 100_000 || payments is < 1 or > 1_000)
        {
            throw new CliException("INVALID_ARGUMENT", "--history takes 20 to 100,000 blocks and --payments-per-block 1 to 1,000 payments.");
        }
        return HybridScenario.RunAsync(lab, k, new HybridScenario.History(blocks, payments));
    }

    private static Task<ScenarioResult> ForksExperiment(LabNetwork lab, int k, ParseResult parse)
    {
        var settings = parse.GetValue(s_quick) ? ForksScenario.Settings.Quick : ForksScenario.Settings.Full;
        if (parse.GetValue(s_linkLatency) is { } text)
        {
            settings = settings with { LinkLatency = Emulation.LinkShape.ParseDelay(text, "--link-latency") };
        }
        if (!parse.GetValue(s_emulate))
        {
            return parse.GetValue(s_bandwidth) is null ? ForksScenario.RunAsync(lab, settings)
                : throw new CliException("INVALID_ARGUMENT", "--bandwidth limits the emulated links: add --emulate.");
        }
        var emulated = parse.GetValue(s_quick) ? EmulatedForks.Settings.Quick : EmulatedForks.Settings.Full;
        emulated = emulated with
        {
            Link = emulated.Link with
            {
                BitsPerSecond = parse.GetValue(s_bandwidth) is { } rate ? Emulation.LinkShape.ParseBandwidth(rate, "--bandwidth") : emulated.Link.BitsPerSecond,
                Delay = parse.GetValue(s_linkLatency) is null ? TimeSpan.Zero : settings.LinkLatency,
            },
        };
        return ForksScenario.RunAsync(lab, settings, emulated);
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

    /// <param name="tour">For the tour: called before each experiment (result null) and after it.</param>
    private static Task<int> RunExperimentsAsync(ParseResult parse, IReadOnlyList<LabExperiment> experiments, Func<int, LabExperiment, ScenarioResult?, Task>? tour = null)
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
            Lab.Progress.RefusalJournal = LabNetwork.RefusalJournalOf(file);
            var results = new List<ScenarioResult>();
            for (var index = 0; index < experiments.Count; index++)
            {
                var experiment = experiments[index];
                if (tour is not null)
                {
                    await tour(index, experiment, null).ConfigureAwait(false);
                }
                var loadBefore = MachineLoad.Now();
                var result = await experiment.Run(lab, Math.Max(1, parse.GetValue(s_k)), parse).ConfigureAwait(false);
                result.Machine = new MachineSnapshot(Environment.ProcessorCount, loadBefore?[0], MachineLoad.Now()?[0]);
                results.Add(result);
                if (tour is not null)
                {
                    await tour(index, experiment, result).ConfigureAwait(false);
                }
            }
            ContrastReport.CrossCheck(results);
            var rows = ContrastReport.Rows(results, file.Nodes.Count, file.Topology);
            var directory = parse.GetValue(s_out)
                ?? (privateNetwork is not null ? Path.Combine(Environment.CurrentDirectory, "contrast-report") : Path.Combine(Path.GetDirectoryName(file.Path!)!, "report"));
            ContrastReport.Write(directory, results, rows);
            var exit = output.Success(ContrastReport.Json(results, rows), console =>
            {
                console.Write(TerminalTable.Of(rows));
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
