using System.Globalization;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Shared.Measurement;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// Forks and stale blocks: miners that find blocks faster than blocks travel mine on stale tips.
/// A lab network of three miners finds blocks as a Poisson process at several mean intervals,
/// each message between nodes delayed by a simulated link latency; the stale rate and the
/// deepest reorganisation at each interval sit beside the propagation delay measured in the same
/// run. The reason Bitcoin waits ten minutes a block (Decker and Wattenhofer 2013 measured 1.69%
/// stale blocks; Gervais et al. 2016 relate the stale rate to interval and propagation).
/// </summary>
public static class ForksScenario
{
    /// <param name="IntervalsSeconds">Mean block intervals to try.</param>
    /// <param name="Blocks">Blocks found at each interval.</param>
    /// <param name="LinkLatency">Simulated one-way delay of each message between nodes.</param>
    public sealed record Settings(IReadOnlyList<double> IntervalsSeconds, int Blocks, TimeSpan LinkLatency)
    {
        public static readonly Settings Full = new([0.5, 1, 2, 5], 30, TimeSpan.FromMilliseconds(100));
        public static readonly Settings Quick = new([0.25, 0.5, 1], 10, TimeSpan.FromMilliseconds(100));
    }

    private const int Miners = 3;

    public static async Task<ScenarioResult> RunAsync(LabNetwork lab, Settings settings)
    {
        ArgumentNullException.ThrowIfNull(lab);
        // The lab's miners are measured without the network's miners on the same cores.
        await using var paused = await lab.PauseMiningAsync().ConfigureAwait(false);
        return await ScenarioResult.RunBothAsync(lab, "forks", "Forks and stale blocks", RunBankAsync, (l, r, p) => RunChainAsync(l, r, p, settings)).ConfigureAwait(false);
    }

    private static Task<string> RunBankAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        // Nothing to run: one server orders every write, so there is no second version of the ledger to orphan.
        result.Bank["stale_entries"] = 0;
        result.Bank["why"] = "one server appends every entry to one journal in one order; there is no competing writer";
        progress.Step("bank: no forks by construction — one server orders every transfer");
        return Task.FromResult("none by construction: one server orders every transfer; an answer is final (0 stale entries)");
    }

    private static async Task<string> RunChainAsync(LabNetwork lab, ScenarioResult result, Progress progress, Settings settings)
    {
        progress.Step($"chain: a lab network of {Miners} mining nodes in a mesh (regtest), every message between them delayed {settings.LinkLatency.TotalMilliseconds:0} ms (simulated distance); {settings.Blocks} blocks at each mean interval of {string.Join(", ", settings.IntervalsSeconds.Select(s => s.ToString("0.##", CultureInfo.InvariantCulture) + " s"))}");
        await using var chain = await PrivateChain.StartAsync(lab.File, Miners, settings.LinkLatency, Miners - 1, progress).ConfigureAwait(false);
        var levels = new List<Dictionary<string, object>>();
        var staleRates = new List<double[]>();
        var counted = new HashSet<string>();
        foreach (var interval in settings.IntervalsSeconds)
        {
            var startHeight = (await ChainLab.InfoAsync(chain.Nodes[0]).ConfigureAwait(false)).Height;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await chain.MineAsync(Miners, TimeSpan.FromSeconds(interval), settings.Blocks, poisson: true).ConfigureAwait(false);
            var minedFor = clock.Elapsed;
            var (tipHeight, tieBreaks) = await chain.ConvergeAsync(progress).ConfigureAwait(false);
            var endHeight = tipHeight - tieBreaks;
            var arrivals = await BlockObservation.ArrivalsAsync(chain.Nodes, startHeight, endHeight).ConfigureAwait(false);
            var (stale, branches) = await BlockObservation.StaleAsync(chain.Nodes).ConfigureAwait(false);
            // This interval's stale blocks: those not counted at an earlier interval, below the tip it converged on.
            var staleHere = stale.Where(b => b.Height <= endHeight && counted.Add(b.Hash)).ToList();
            var deepest = branches.Where(b => b.TipHeight > startHeight && b.TipHeight <= endHeight).Select(b => b.Length).DefaultIfEmpty(0u).Max();
            var active = endHeight - startHeight;
            var mined = active + staleHere.Count;
            var rate = mined == 0 ? 0 : staleHere.Count / (double)mined;
            var toAll = arrivals.Select(a => a.ToAllMs).ToList();
            var propagation = toAll.Count > 0 ? Percentiles.Of(toAll, 0.5)[0] : 0;
            levels.Add(new()
            {
                ["mean_interval_s"] = interval,
                ["observed_interval_s"] = Math.Round(minedFor.TotalSeconds / settings.Blocks, 2),
                ["blocks_mined"] = mined,
                ["blocks_on_active_chain"] = active,
                ["stale_blocks"] = staleHere.Count,
                ["stale_rate"] = Math.Round(rate, 3),
                ["deepest_reorg_blocks"] = deepest,
                ["propagation_to_all_median_ms"] = Math.Round(propagation, 1),
                ["propagation_samples"] = toAll.Count,
            });
            staleRates.Add([interval, Math.Round(rate * 100, 1)]);
            progress.Step(string.Create(CultureInfo.InvariantCulture,
                $"chain: mean interval {interval:0.##} s: {staleHere.Count} of {mined} blocks mined went stale ({rate:P1}); deepest reorg {deepest} block{(deepest == 1 ? "" : "s")}; a block took {propagation:F0} ms (median) to reach every node"));
        }
        result.Chain["levels"] = levels;
        result.Chain["network"] = $"{Miners} lab regtest nodes in a mesh, each finding blocks on its own tip, chosen at random; block finds a Poisson process (exponential gaps) at each mean interval";
        result.Chain["link_latency_ms"] = settings.LinkLatency.TotalMilliseconds;
        result.Chain["stale_rate_definition"] = "blocks mined that ended off the active chain ÷ all blocks mined at that interval";
        result.Curves.Add(new Curve("chain", $"Chain: stale blocks as the block interval shrinks ({settings.LinkLatency.TotalMilliseconds:0} ms links)", "mean block interval (s)", "% of blocks mined that went stale",
            [new CurveSeries("stale %", staleRates)]));
        result.Expect(levels.Count == settings.IntervalsSeconds.Count, "chain: an interval was not measured");
        var fastest = levels[0];
        var slowest = levels[^1];
        // Said only if the figures show it: with a few blocks per interval, chance can hide the trend.
        var trend = (double)slowest["stale_rate"] < (double)fastest["stale_rate"]
            ? "a longer interval buys agreement with waiting"
            : $"with {settings.Blocks} blocks per interval chance hides the trend here; run more blocks (without --quick)";
        return string.Create(CultureInfo.InvariantCulture,
            $"forks are normal: with blocks taking ≈{fastest["propagation_to_all_median_ms"]} ms to reach every node, {(double)fastest["stale_rate"] * 100:0.#}% of blocks went stale at {fastest["mean_interval_s"]} s intervals (deepest reorg {fastest["deepest_reorg_blocks"]}), {(double)slowest["stale_rate"] * 100:0.#}% at {slowest["mean_interval_s"]} s — {trend}");
    }
}
