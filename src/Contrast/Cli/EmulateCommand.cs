using System.CommandLine;
using LedgerContrast.Contrast.Emulation;
using LedgerContrast.Shared.Cli;
using Spectre.Console;

namespace LedgerContrast.Contrast.Cli;

/// <summary>
/// `contrast emulate`: the emulated network's plumbing, as run-network.ps1 -Emulate and the
/// experiments use it — build it (up), cut and heal partitions by dropping packets, tear it down.
/// Linux and root only; otherwise one sentence says so.
/// </summary>
internal static class EmulateCommand
{
    public static Command Create(Option<bool> json, Option<string?> networkFile)
    {
        var command = new Command("emulate", "The emulated network (run-network.ps1 -Emulate): a Linux network namespace per process on one virtual switch; partitions that drop packets.");
        command.Subcommands.Add(Up(json));
        command.Subcommands.Add(Down(json, networkFile));
        command.Subcommands.Add(Cut(json, networkFile));
        command.Subcommands.Add(Heal(json, networkFile));
        command.Subcommands.Add(Window(json, networkFile));
        return command;
    }

    private static Command Window(Option<bool> json, Option<string?> networkFile)
    {
        var command = new Command("window", "A link from this namespace into the clients namespace, for the browser to reach the live view there (run it where the browser runs).");
        command.SetAction(parse => Run(parse.GetValue(json), () =>
        {
            var (machine, clients) = EmulatedNetwork.OpenWindow(Emulation(parse.GetValue(networkFile)));
            return (new { machine_address = machine, clients_address = clients }, $"Window open: {machine} here, {clients} in the clients namespace.");
        }));
        return command;
    }

    private static Command Up(Option<bool> json)
    {
        var name = new Option<string>("--name") { Description = "What the run's namespaces are named after (NAME-switch, NAME-node1…).", Required = true };
        var basePort = new Option<int>("--base-port") { Description = "The run's base port: its addresses are 10.hi.lo.0/24 of it.", Required = true };
        var members = new Option<string>("--members") { Description = "Every member, in order, e.g. bank,node1,node2,clients (hosts .2, .3…).", Required = true };
        var bandwidth = new Option<string?>("--bandwidth") { Description = "Each member's link, both ways, e.g. 10mbit (tc tbf; default unlimited)." };
        var loss = new Option<string?>("--loss") { Description = "Share of packets the switch drops, e.g. 0.5% (nftables; default 0)." };
        var delay = new Option<string?>("--delay") { Description = "One-way delay of each member's sends, e.g. 50ms: netem where the kernel has it, else the caller passes --link-latency to the nodes (the answer's delay_by says which)." };
        var command = new Command("up", "Build the namespaces, links and switch; print where each member is.") { name, basePort, members, bandwidth, loss, delay };
        command.SetAction(parse => Run(parse.GetValue(json), () =>
        {
            var link = LinkShape.Parse(parse.GetValue(bandwidth), parse.GetValue(loss), parse.GetValue(delay));
            var port = parse.GetValue(basePort);
            if (port is < 1024 or > 65_000)
            {
                throw new CliException("INVALID_ARGUMENT", "--base-port takes a port from 1024 to 65000.");
            }
            var list = parse.GetValue(members)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var emulation = EmulatedNetwork.Up(parse.GetValue(name)!, port, list, link);
            return (emulation, $"Emulated network {emulation.Name}: {emulation.Members.Count} namespaces on switch {emulation.SwitchNamespace} ({emulation.Prefix}; links {link})");
        }));
        return command;
    }

    private static Command Down(Option<bool> json, Option<string?> networkFile)
    {
        var name = new Option<string?>("--name") { Description = "The run's name (default: the emulated network of network.json)." };
        var command = new Command("down", "Kill what runs in the run's namespaces and delete them (links, switch and rules go with them).") { name };
        command.SetAction(parse => Run(parse.GetValue(json), () =>
        {
            var run = parse.GetValue(name) ?? Emulation(parse.GetValue(networkFile)).Name;
            var removed = EmulatedNetwork.Down(run);
            return (new { name = run, removed }, removed.Count == 0 ? $"No namespace of {run} was left." : $"Removed {removed.Count} namespaces of {run}: {string.Join(", ", removed)}");
        }));
        return command;
    }

    private static Command Cut(Option<bool> json, Option<string?> networkFile)
    {
        var side = new Option<string[]>("--side") { Description = "The members on one side, e.g. --side node1 --side node2,node3,bank (exactly two).", Required = true, AllowMultipleArgumentsPerToken = false };
        var command = new Command("cut", "Partition: the switch drops every packet between the two sides (members on neither side reach both).") { side };
        command.SetAction(parse => Run(parse.GetValue(json), () =>
        {
            var sides = parse.GetValue(side)!.Select(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (sides.Count != 2)
            {
                throw new CliException("INVALID_ARGUMENT", "A partition has two sides: give --side twice.");
            }
            var emulation = Emulation(parse.GetValue(networkFile));
            EmulatedNetwork.Cut(emulation, sides[0], sides[1]);
            return (new { side_a = sides[0], side_b = sides[1] }, $"Partitioned {string.Join(",", sides[0])} | {string.Join(",", sides[1])}: the switch drops every packet between them.");
        }));
        return command;
    }

    private static Command Heal(Option<bool> json, Option<string?> networkFile)
    {
        var command = new Command("heal", "End the partition: the switch forwards between every member again.");
        command.SetAction(parse => Run(parse.GetValue(json), () =>
        {
            EmulatedNetwork.Heal(Emulation(parse.GetValue(networkFile)));
            return (new { healed = true }, "Healed: the switch forwards between every member again.");
        }));
        return command;
    }

    private static NetworkFile.NetworkEmulation Emulation(string? path) =>
        (NetworkFile.TryFind(path) ?? throw new CliException("NO_NETWORK", "No network.json found: give --network-file or --name.")).Emulation
        ?? throw new CliException("NOT_EMULATED", "This network runs on loopback: start it with run-network.ps1 -Emulate for an emulated one.");

    private static Task<int> Run(bool json, Func<(object Model, string Sentence)> verb)
    {
        var output = new CliOutput(json);
        return output.RunAsync("emulated network", () => "", () =>
        {
            if (EmulatedNetwork.WhyUnavailable() is { } why)
            {
                throw new CliException("EMULATION_UNAVAILABLE", why);
            }
            var (model, sentence) = verb();
            return Task.FromResult(output.Success(model, console => console.WriteLine(sentence)));
        });
    }
}
