using System.Text.Json;
using LedgerContrast.TestSupport;
using Xunit.Abstractions;

namespace LedgerContrast.Contrast.Tests.EndToEnd;

/// <summary>
/// run-network.ps1 -Emulate: every process in a network namespace of its own on one virtual
/// switch, links limited by the kernel (tc tbf), partitions made by the switch dropping packets
/// (nftables). The clients (the CLIs) run in the clients namespace, the only one with a route to
/// the members. -Stop leaves no namespace, link or process behind.
/// </summary>
public sealed class EmulatedNetworkTests(ITestOutputHelper output) : IDisposable
{
    private const long LinkBitsPerSecond = 1_000_000;
    private readonly string _data = Path.Combine(TempDirectory.NewPath("lc-emu-"), ".network");
    private readonly int _basePort = 23_000 + Random.Shared.Next(0, 100) * 20;

    [EmulationFact]
    public async Task A_block_crosses_each_one_megabit_hop_no_faster_than_the_link_carries_it_and_a_partition_of_dropped_packets_heals_onto_one_tip()
    {
        var network = await StartAsync("-NoBank", "-Nodes", "3", "-Topology", "line", "-LinkBandwidth", "1mbit");
        try
        {
            var nodes = network.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("url").GetString()!).ToList();
            Assert.All(nodes, url => Assert.StartsWith("http://10.", url, StringComparison.Ordinal)); // each its own address, not loopback
            foreach (var node in nodes)
            {
                await ChainAsync("mining", "stop", "--node", node);
            }

            // A block of a few hundred bytes: the program's own per-hop cost.
            var small = await MineAsync(nodes[0]);
            var smallHops = await HopsAsync(nodes, small);

            // Two fan-outs of 1,500 outputs (60 kB each) reach every mempool first, so the block's
            // crossing does not share the link with them; then node1 mines them into one block.
            var txids = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                txids.Add((await ChainAsync("send", "--wallet", "alice", "--to", "alice", "--amount", "0.001", "--outputs", "1500", "--node", nodes[0])).GetProperty("txid").GetString()!);
            }
            await Poll.UntilAsync(async () => (await ChainAsync("mempool", "--node", nodes[2])).GetProperty("transactions").GetArrayLength() == 2, TimeSpan.FromSeconds(60), () => "the fan-outs did not reach node3's mempool");
            var big = await MineAsync(nodes[0]);
            var size = (await ChainAsync("block", big, "--node", nodes[0])).GetProperty("size").GetInt32();
            Assert.True(size >= 100_000, $"the block holds {size} bytes");
            var hops = await HopsAsync(nodes, big);
            var linkSeconds = size * 8.0 / LinkBitsPerSecond;
            foreach (var hop in hops)
            {
                // The link, not the program, sets the pace: no faster than its bandwidth carries the bytes.
                Assert.True(hop >= 0.8 && hop >= 0.9 * linkSeconds, $"a {size}-byte block crossed a 1 Mbit/s hop in {hop:F3} s (the link needs {linkSeconds:F3} s); hops {string.Join(", ", hops)}");
            }
            output.WriteLine($"{size}-byte block: hops {string.Join(", ", hops.Select(h => $"{h:F3} s"))} (the link needs {linkSeconds:F3} s); empty block: {string.Join(", ", smallHops.Select(h => $"{h:F3} s"))}");
            Assert.All(smallHops, hop => Assert.True(hop < 0.5, $"an empty block took {hop:F3} s per hop"));

            // A partition: the switch drops every packet between node1 and the rest. The nodes are
            // not told; each side mines on (node1 two blocks, node3 three).
            await ContrastAsync("emulate", "cut", "--side", "node1", "--side", "node2,node3");
            await ChainAsync("mine", "--blocks", "2", "--wallet", "alice", "--node", nodes[0]);
            var heavier = (await ChainAsync("mine", "--blocks", "3", "--wallet", "bob", "--node", nodes[2])).GetProperty("blocks").EnumerateArray().Last().GetString()!;
            await Poll.UntilAsync(async () => await TipAsync(nodes[1]) == heavier, TimeSpan.FromSeconds(60), () => "node2 did not get node3's blocks");
            Assert.NotEqual(heavier, await TipAsync(nodes[0]));

            await ContrastAsync("emulate", "heal");
            await Poll.UntilAsync(async () => (await Task.WhenAll(nodes.Select(TipAsync))).All(t => t == heavier), TimeSpan.FromSeconds(90),
                () => "the nodes did not agree on the heavier tip after the heal");
            var tips = await ChainAsync("tips", "--node", nodes[0]);
            Assert.Contains(tips.GetProperty("tips").EnumerateArray(), t => t.GetProperty("status").GetString() == "valid-fork" && t.GetProperty("branch_length").GetInt32() == 2);
            // Their own peer lists were never changed: after the heal each node is connected to its line neighbours again.
            await Poll.UntilAsync(async () => (await ChainAsync("info", "--node", nodes[1])).GetProperty("peers").GetInt32() == 2, TimeSpan.FromSeconds(60), () => "node2 did not list both neighbours again");
            // And it is still a line: the ends never dialled each other through addresses learned
            // from node2 (the head once did, wanting an outbound peer, and a block then crossed
            // node1's link twice at once).
            var peerCounts = await Task.WhenAll(nodes.Select(async n => (await ChainAsync("info", "--node", n)).GetProperty("peers").GetInt32()));
            Assert.Equal(new[] { 1, 2, 1 }, peerCounts);
        }
        finally
        {
            await StopAndCheckNothingIsLeftAsync(network);
        }
    }

    [EmulationFact]
    public async Task A_client_cut_off_from_the_bank_by_dropped_packets_gets_unavailable_and_the_same_request_succeeds_after_the_heal()
    {
        var network = await StartAsync("-Nodes", "1", "-Watch");
        try
        {
            // The live view runs with the clients; a browser here reaches it through the window, and only it.
            var page = network.GetProperty("watch").GetProperty("url").GetString()!;
            Assert.StartsWith("http://169.254.", page, StringComparison.Ordinal);
            using (var browser = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
            {
                Assert.Contains("<title>", await Poll.UntilSuccessAsync(() => browser.GetStringAsync(new Uri(page)), TimeSpan.FromSeconds(60)), StringComparison.Ordinal);
            }

            var bank = network.GetProperty("bank").GetProperty("url").GetString()!;
            var alice = network.GetProperty("customers").GetProperty("alice");
            string[] balance = ["balance", alice.GetProperty("account_id").GetString()!, "--server", bank, "--token", alice.GetProperty("token").GetString()!];
            Assert.Equal(0, (await ClientAsync("bank.dll", balance)).ExitCode);

            await ContrastAsync("emulate", "cut", "--side", "bank", "--side", "clients");
            var cutOff = await ClientAsync("bank.dll", balance);
            Assert.True(cutOff.ExitCode == 2, $"exit {cutOff.ExitCode}: {cutOff.Output}");
            Assert.Equal("UNAVAILABLE", JsonDocument.Parse(cutOff.Output).RootElement.GetProperty("error").GetProperty("reason").GetString());
            // Only the bank is cut off: the chain node on the clients' side of the switch still answers.
            Assert.Equal(0, (await ClientAsync("chain.dll", ["info", "--node", network.GetProperty("nodes")[0].GetProperty("url").GetString()!])).ExitCode);

            await ContrastAsync("emulate", "heal");
            var healed = await ClientAsync("bank.dll", balance);
            Assert.True(healed.ExitCode == 0, healed.Output);
            Assert.Equal("1000", JsonDocument.Parse(healed.Output).RootElement.GetProperty("balance").GetString());
        }
        finally
        {
            await StopAndCheckNothingIsLeftAsync(network);
        }
    }

    /// <summary>
    /// The whole partition experiment over the emulated switch, with a replicated bank beside the
    /// single one: the Raft leader cut off from its majority acknowledges nothing while the majority
    /// elects another and a leader-following client carries on; after the heal every acknowledged
    /// transfer is on every replica under one anchor. The chain's minority reorganises and reports
    /// bob's payment conflicted (it once said unknown: a reorg whose winning spend came in a
    /// waiting orphan).
    /// </summary>
    [EmulationFact]
    public async Task A_raft_leader_cut_off_from_its_majority_acknowledges_nothing_while_the_majority_elects_another_and_after_the_heal_every_replica_holds_one_history()
    {
        var network = await StartAsync("-Nodes", "3", "-BankReplicas", "3");
        try
        {
            var run = await ClientAsync("contrast.dll", ["partition", "--emulate", "--network-file", Path.Combine(_data, "network.json")], TimeSpan.FromMinutes(6));
            Assert.True(run.ExitCode == 0, run.Output);
            var partition = JsonDocument.Parse(run.Output).RootElement.GetProperty("experiments")[0];
            Assert.True(partition.GetProperty("passed").GetBoolean(), partition.GetProperty("notes").ToString());
            var replicated = partition.GetProperty("replicated_bank");
            Assert.NotEqual("acknowledged", replicated.GetProperty("cut_off_leader_answer").GetString());
            Assert.NotEqual(replicated.GetProperty("cut_off_leader").GetString(), replicated.GetProperty("new_leader").GetString());
            Assert.False(replicated.GetProperty("unacknowledged_deposit_in_a_ledger").GetBoolean());
            Assert.Equal("UNAVAILABLE", partition.GetProperty("bank").GetProperty("cut_off_client_answer").GetString());
        }
        finally
        {
            await StopAndCheckNothingIsLeftAsync(network);
        }
    }

    private static string ClientsNamespace(JsonElement network) => network.GetProperty("emulation").GetProperty("clients_namespace").GetString()!;

    private JsonElement _network;

    private async Task<JsonElement> StartAsync(params string[] args)
    {
        var start = await RunNetworkScript.RunAsync(_data, ["-Emulate", "-BasePort", $"{_basePort}", "-BlockInterval", "2s", "-CoinbaseMaturity", "3", .. args]);
        Assert.True(start.ExitCode == 0, start.Output);
        _network = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_data, "network.json"))).RootElement.Clone();
        return _network;
    }

    /// <summary>A CLI run where the network's clients run: its clients namespace.</summary>
    private async Task<(int ExitCode, string Output)> ClientAsync(string dll, string[] args, TimeSpan? timeout = null)
    {
        // With the network's file, as a person's shell in that network has it: admin verbs find each node's cookie through it.
        var run = await ExternalProcess.RunAsync("ip", ["netns", "exec", ClientsNamespace(_network), "env", $"LC_NETWORK_FILE={Path.Combine(_data, "network.json")}",
            "dotnet", Path.Combine(AppContext.BaseDirectory, dll), .. args, "--json"],
            timeout: timeout ?? TimeSpan.FromMinutes(2));
        // What --json printed when it worked (contrast writes its progress to stderr); all of it when not.
        return (run.ExitCode, run.ExitCode == 0 ? run.Stdout : run.Stdout + run.Stderr);
    }

    private async Task<JsonElement> ChainAsync(params string[] args)
    {
        var (exit, output) = await ClientAsync("chain.dll", [.. args, "--wallet-dir", Path.Combine(_data, "wallets")]);
        Assert.True(exit == 0, $"chain {string.Join(' ', args)} exited {exit}: {output}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>The switch's rules are changed from the root namespace (where the test runs), not from a client's.</summary>
    private async Task ContrastAsync(params string[] args)
    {
        var run = await ServerProcess.RunAsync("contrast.dll", [.. args, "--network-file", Path.Combine(_data, "network.json")]);
        Assert.True(run.ExitCode == 0, $"contrast {string.Join(' ', args)} exited {run.ExitCode}: {run.Stderr}{run.Stdout}");
    }

    private async Task<string> MineAsync(string node) =>
        (await ChainAsync("mine", "--blocks", "1", "--wallet", "alice", "--node", node)).GetProperty("blocks")[0].GetString()!;

    private async Task<string> TipAsync(string node) => (await ChainAsync("info", "--node", node)).GetProperty("tip").GetString()!;

    /// <summary>Seconds between each node of the line storing the block and the next one storing it (the namespaces share one clock).</summary>
    private async Task<List<double>> HopsAsync(List<string> line, string hash)
    {
        var received = new List<long>();
        foreach (var node in line)
        {
            JsonElement block = default;
            await Poll.UntilAsync(async () => (await ClientAsync("chain.dll", ["block", hash, "--node", node])) is { ExitCode: 0 } found && (block = JsonDocument.Parse(found.Output).RootElement.Clone()).ValueKind == JsonValueKind.Object,
                TimeSpan.FromSeconds(60), () => $"{node} never got block {hash}");
            received.Add(block.GetProperty("received_ms").GetInt64());
        }
        return [.. received.Zip(received.Skip(1), (a, b) => (b - a) / 1000.0)];
    }

    private async Task StopAndCheckNothingIsLeftAsync(JsonElement network)
    {
        var stop = await RunNetworkScript.RunAsync(_data, "-Stop");
        Assert.True(stop.ExitCode == 0, stop.Output);
        var name = network.GetProperty("emulation").GetProperty("name").GetString()!;
        var namespaces = await ExternalProcess.RunAsync("ip", ["netns", "list"]);
        Assert.DoesNotContain(name + "-", namespaces.Stdout, StringComparison.Ordinal);
        var links = await ExternalProcess.RunAsync("ip", ["-br", "link"]);
        Assert.DoesNotContain(name + "-w", links.Stdout, StringComparison.Ordinal); // the live view's window went with the clients' namespace
        IEnumerable<JsonElement> Single(string name) => network.TryGetProperty(name, out var process) && process.ValueKind == JsonValueKind.Object ? [process] : [];
        IEnumerable<JsonElement> Many(string name) => network.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];
        foreach (var process in network.GetProperty("nodes").EnumerateArray().Concat(Single("bank")).Concat(Many("bank_replicas")).Concat(Single("watch")))
        {
            Assert.False(RunNetworkScript.IsRunning(process.GetProperty("pid").GetInt32()), $"{process.GetProperty("name")} still runs");
        }
    }

    public void Dispose()
    {
        // After a failure too: whatever the script left, and the namespaces, whatever it recorded.
        RunNetworkScript.RunAsync(_data, "-Stop", "-Emulate", "-BasePort", $"{_basePort}").GetAwaiter().GetResult();
        TempDirectory.Delete(Path.GetDirectoryName(_data)!);
    }
}
