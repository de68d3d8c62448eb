using System.Globalization;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Measurement;
using Transaction = LedgerContrast.Shared.Chain.Transaction;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// Scalability: the bank under 1…64 concurrent clients (one server: where it saturates, only a
/// bigger server helps), and chain networks of 3…12 nodes (what each added node costs: block
/// propagation and gossip bytes grow, confirmed capacity does not).
/// </summary>
public static class ScaleScenario
{
    /// <param name="Clients">Concurrent bank clients at each step.</param>
    /// <param name="Nodes">Chain network sizes; the first three nodes mine, the rest relay.</param>
    /// <param name="BankSeconds">How long each bank step runs.</param>
    /// <param name="Blocks">Blocks found at each network size.</param>
    /// <param name="BlockGap">Time between those blocks: long enough that one has reached every node before the next.</param>
    /// <param name="ReplicatedRounds">Write rounds of the replicated bank, each beside one of the single bank.</param>
    /// <param name="Topology">Whom the chain's nodes dial; a line, ring or mesh is built anew at each size.</param>
    /// <param name="Links">In an emulated network (scale --emulate), each lab node's link; null on loopback.</param>
    public sealed record Settings(IReadOnlyList<int> Clients, IReadOnlyList<int> Nodes, TimeSpan BankSeconds, int Blocks, TimeSpan BlockGap, int ReplicatedRounds = 3,
        PrivateChain.Topology Topology = PrivateChain.Topology.Random, Emulation.LinkShape? Links = null)
    {
        // Bank steps as long as contrast throughput's load (5 s, 2 s quick), under the same conditions.
        public static readonly Settings Full = new([1, 4, 16, 64], [3, 6, 12], TimeSpan.FromSeconds(5), 20, TimeSpan.FromMilliseconds(500));
        public static readonly Settings Quick = new([1, 4, 16, 64], [3, 6, 12], TimeSpan.FromSeconds(2), 6, TimeSpan.FromMilliseconds(300), 2);
    }

    private const int Miners = 3;
    private const int Outbound = 3;

    public static async Task<ScenarioResult> RunAsync(LabNetwork lab, Settings settings)
    {
        ArgumentNullException.ThrowIfNull(lab);
        // The bank's curve and the lab nodes are measured without the network's miners on the same cores.
        await using var paused = await lab.PauseMiningAsync().ConfigureAwait(false);
        var result = await ScenarioResult.RunBothAsync(lab, "scale", "Scalability", (l, r, p) => RunBankAsync(l, r, p, settings), (l, r, p) => RunChainAsync(l, r, p, settings),
            (b, r, p) => ReplicatedScale.RunAsync(lab, b, r, p, settings)).ConfigureAwait(false);
        result.Bank["machine"] = result.Chain["machine"] = "the network's miners paused for this experiment, resumed after";
        return result;
    }

    private static async Task<string> RunBankAsync(LabNetwork lab, ScenarioResult result, Progress progress, Settings settings)
    {
        var customers = await BankLab.NewCustomersAsync(lab, "sc", settings.Clients.Max() + 1, 1_000_000_00000000).ConfigureAwait(false);
        var levels = new List<Dictionary<string, object>>();
        var estimates = new List<(int Clients, RateEstimate Rate)>();
        var rates = new List<double[]>();
        var p99s = new List<double[]>();
        // The first level would otherwise measure the bank's JIT and the connections' setup.
        var warmUp = await BankLab.WarmUpAsync(lab, customers, settings.Clients.Max()).ConfigureAwait(false);
        var conditions = BankLab.Conditions(warmUp);
        progress.Step($"bank: {conditions}");
        foreach (var clients in settings.Clients)
        {
            var load = await BankLab.TransferLoadAsync(lab, customers, clients, settings.BankSeconds).ConfigureAwait(false);
            var rate = load.Rate;
            var series = LatencySeries.Percentiles("bank", $"{clients} clients", load.LatenciesMs);
            levels.Add(new()
            {
                ["clients"] = clients,
                ["transfers_per_second"] = Math.Round(rate.PerSecond),
                ["transfers_per_second_95ci"] = new[] { Math.Round(rate.Low), Math.Round(rate.High) },
                ["p50_ms"] = Math.Round(series.P50Ms, 2),
                [series.SecondMark + "_ms"] = Math.Round(series.P99Ms, 2),
                ["requests"] = load.LatenciesMs.Count,
            });
            estimates.Add((clients, rate));
            rates.Add([clients, Math.Round(rate.PerSecond)]);
            p99s.Add([clients, Math.Round(series.P99Ms, 1)]);
            progress.Step($"bank: {clients} concurrent client{(clients == 1 ? "" : "s")} for {settings.BankSeconds.TotalSeconds:0.#} s: {rate}, p50 {series.P50Ms:F1} ms, {series.SecondMark} {series.P99Ms:F1} ms of {load.LatenciesMs.Count:N0} requests");
        }
        result.Bank["levels"] = levels;
        result.Bank["client"] = $"each client its own connection and customer, one 1-unit transfer at a time to the next customer, {settings.BankSeconds.TotalSeconds:0.#} s per step, on this machine beside the server";
        result.Bank["conditions"] = conditions;
        result.Curves.Add(new Curve("bank", "Bank: transfers/s as clients grow", "concurrent clients", "transfers/s", [new CurveSeries("transfers/s", rates)]));
        result.Curves.Add(new Curve("bank", "Bank: p99 latency as clients grow", "concurrent clients", "ms", [new CurveSeries("p99 (or max) ms", p99s)]));
        var saturation = Saturation(estimates);
        result.Bank["saturated_at_clients"] = saturation.Clients;
        result.Bank["saturation_definition"] = SaturationDefinition;
        result.Expect(rates[^1][1] > 0, "bank: no transfer succeeded under load");
        var first = estimates[0];
        var last = estimates[^1];
        var best = estimates.MaxBy(e => e.Rate.PerSecond);
        var where = saturation.Clients == last.Clients && last.Clients == best.Clients
            ? $"still growing at {last.Clients} clients"
            : $"saturated at {saturation.Clients} clients ({saturation.Rate.PerSecond:N0}/s, within 10% of the best, {best.Rate.PerSecond:N0}/s at {best.Clients})";
        return string.Create(CultureInfo.InvariantCulture,
            $"{first.Rate.PerSecond:N0} → {last.Rate.PerSecond:N0} transfers/s from {first.Clients} to {last.Clients} concurrent clients ({string.Join("; ", estimates.Select(e => $"{e.Clients}: 95% CI {e.Rate.Low:N0}–{e.Rate.High:N0}"))}; {conditions}), p99 {p99s[0][1]:0.#} → {p99s[^1][1]:0.#} ms; one server {where}: beyond that only a bigger server helps (it scales on the provider's wallet)");
    }

    public const string SaturationDefinition = "the smallest client count whose transfers/s is within 10% of the best level's";

    /// <summary>The first level (fewest clients) within 10% of the best throughput measured.</summary>
    public static (int Clients, RateEstimate Rate) Saturation(IReadOnlyList<(int Clients, RateEstimate Rate)> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var best = levels.Max(l => l.Rate.PerSecond);
        return levels.OrderBy(l => l.Clients).First(l => l.Rate.PerSecond >= 0.9 * best);
    }

    private static async Task<string> RunChainAsync(LabNetwork lab, ScenarioResult result, Progress progress, Settings settings)
    {
        var info = await ChainLab.InfoAsync(lab.Nodes[0]).ConfigureAwait(false);
        var (perBlock, intervalSeconds, capacity) = ChainLab.Capacity(info, Transaction.SizeOf(1, 1));
        var sizes = settings.Nodes.Where(n => n >= 2).Order().ToList();
        var grown = settings.Topology == PrivateChain.Topology.Random;
        var shape = grown ? $"each dials {Outbound} random earlier nodes" : $"a {settings.Topology.ToString().ToLowerInvariant()}, built anew at each size";
        var where = settings.Links is { } links ? $"each in a network namespace of its own on the emulated switch, links {links}" : "on loopback";
        progress.Step($"chain: a lab network of {sizes[0]} nodes (regtest; {Miners} mine, the rest relay; {shape}; {where}), {(grown ? "grown" : "then")} to {string.Join(", ", sizes)}; at each size {settings.Blocks} empty blocks, one every {settings.BlockGap.TotalMilliseconds:0} ms");
        Task<PrivateChain> StartAsync(int nodes) => PrivateChain.StartAsync(lab.File, nodes, TimeSpan.Zero, Outbound, progress, settings.Links, topology: settings.Topology);
        PrivateChain? chain = null;
        var levels = new List<Dictionary<string, object>>();
        var p50s = new List<double[]>();
        var p90s = new List<double[]>();
        var bytes = new List<double[]>();
        try
        {
            foreach (var size in sizes)
            {
                if (chain is null || !grown)
                {
                    if (chain is not null)
                    {
                        await chain.DisposeAsync().ConfigureAwait(false);
                    }
                    chain = null;
                    chain = await StartAsync(size).ConfigureAwait(false);
                }
                else if (chain.Nodes.Count < size)
                {
                    await chain.AddNodesAsync(size - chain.Nodes.Count, progress).ConfigureAwait(false);
                }
                // Two blocks first, not measured: the new nodes' first blocks pay for their JIT warm-up.
                await chain.MineAsync(Miners, settings.BlockGap, 2, poisson: false).ConfigureAwait(false);
                await chain.ConvergeAsync(progress).ConfigureAwait(false);
                var before = await ChainLab.TrafficAsync(chain.Nodes).ConfigureAwait(false);
                var heightBefore = (await ChainLab.InfoAsync(chain.Nodes[0]).ConfigureAwait(false)).Height;
                await chain.MineAsync(Miners, settings.BlockGap, settings.Blocks, poisson: false).ConfigureAwait(false);
                // Blocks a gap apart can still tie when the machine is slower than the gap: converge.
                await chain.ConvergeAsync(progress).ConfigureAwait(false);
                var after = await ChainLab.TrafficAsync(chain.Nodes).ConfigureAwait(false);
                var heightAfter = (await ChainLab.InfoAsync(chain.Nodes[0]).ConfigureAwait(false)).Height;
                var arrivals = await BlockObservation.ArrivalsAsync(chain.Nodes, heightBefore, heightAfter).ConfigureAwait(false);
                var blocks = Math.Max(1, heightAfter - heightBefore);
                var perNode = arrivals.SelectMany(a => a.PerNodeMs).ToList();
                var toAll = arrivals.Select(a => a.ToAllMs).ToList();
                var p = perNode.Count > 0 ? Percentiles.Of(perNode, 0.5, 0.9) : [0, 0];
                var toAllMedian = toAll.Count > 0 ? Percentiles.Of(toAll, 0.5)[0] : 0;
                var sentPerBlock = (after.Sent - before.Sent) / (double)blocks;
                var perNodePerBlock = (after.Sent - before.Sent + after.Received - before.Received) / (double)blocks / size;
                levels.Add(new()
                {
                    ["nodes"] = size,
                    ["blocks"] = blocks,
                    ["arrival_samples"] = perNode.Count,
                    ["arrival_behind_miner_p50_ms"] = Math.Round(p[0], 1),
                    ["arrival_behind_miner_p90_ms"] = Math.Round(p[1], 1),
                    ["to_all_nodes_median_ms"] = Math.Round(toAllMedian, 1),
                    ["to_all_nodes_max_ms"] = toAll.Count > 0 ? Math.Round(toAll.Max(), 1) : 0,
                    ["bytes_per_node_per_block"] = Math.Round(perNodePerBlock),
                    ["bytes_on_the_network_per_block"] = Math.Round(sentPerBlock),
                    ["capacity_tx_per_second"] = Math.Round(capacity, 1),
                });
                p50s.Add([size, Math.Round(p[0], 1)]);
                p90s.Add([size, Math.Round(p[1], 1)]);
                bytes.Add([size, Math.Round(sentPerBlock)]);
                progress.Step(string.Create(CultureInfo.InvariantCulture,
                    $"chain: {size} nodes, {blocks} blocks: a node had a block p50 {p[0]:F1} ms, p90 {p[1]:F1} ms after its miner ({perNode.Count} arrivals); all nodes had it after {toAllMedian:F1} ms (median); {perNodePerBlock:F0} bytes per node and {sentPerBlock:F0} on the network per block; capacity still {capacity:F0} tx/s (computed)"));
            }
        }
        finally
        {
            if (chain is not null)
            {
                await chain.DisposeAsync().ConfigureAwait(false);
            }
        }
        result.Chain["levels"] = levels;
        result.Chain["network"] = $"lab regtest nodes on this machine, {where}: {Miners} miners, the rest relay-only; {(grown ? $"each dials {Outbound} random earlier nodes (and is dialled)" : shape)}; empty blocks (coinbase only) one every {settings.BlockGap.TotalMilliseconds:0} ms";
        result.Chain["bytes_counted"] = "protobuf message bytes of every answered PeerService call (ListPeers bytes_sent/bytes_received), keep-alives included; HTTP/2 framing not counted";
        result.Chain["capacity_basis"] = $"computed, not measured: {perBlock} payments per block ÷ {intervalSeconds:0.###} s interval of the network in network.json: consensus rules, the same at every size";
        result.Curves.Add(new Curve("chain", "Chain: block arrival behind its miner as nodes grow", "nodes", "ms",
            [new CurveSeries("p50", p50s), new CurveSeries("p90", p90s)]));
        result.Curves.Add(new Curve("chain", "Chain: gossip bytes on the network per block as nodes grow", "nodes", "bytes per block", [new CurveSeries("bytes sent, all nodes", bytes)]));
        result.Expect(levels.Count == sizes.Count && p90s[^1][1] >= 0, "chain: a network size was not measured");
        return string.Create(CultureInfo.InvariantCulture,
            $"{sizes[0]} → {sizes[^1]} nodes: a block reached a node p90 {p90s[0][1]:0.#} → {p90s[^1][1]:0.#} ms after its miner, gossip {bytes[0][1]:0} → {bytes[^1][1]:0} bytes on the network per block; confirmed capacity stays {capacity:0} tx/s (computed from the rules) — every node checks and stores everything, so nodes add copies and traffic, not throughput");
    }
}
