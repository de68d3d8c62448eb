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
    /// <param name="Levels">Mean block intervals to try, each with how many blocks to find at it.</param>
    /// <param name="LinkLatency">Simulated one-way delay of each message between nodes.</param>
    public sealed record Settings(IReadOnlyList<(double IntervalSeconds, int Blocks)> Levels, TimeSpan LinkLatency)
    {
        // Enough blocks at 0.5 and 1 s that a stale rate up to ~30% has a 95% interval narrower than ±10 points.
        public static readonly Settings Full = new([(0.5, 100), (1, 80), (2, 30), (5, 20)], TimeSpan.FromMilliseconds(100));
        public static readonly Settings Quick = new([(0.25, 20), (0.5, 20), (1, 10)], TimeSpan.FromMilliseconds(100));
    }

    /// <summary>
    /// Decker and Wattenhofer (2013): a block goes stale when another miner finds one while it is
    /// still travelling. Block finds are a Poisson process, so with the other miners holding
    /// <paramref name="otherShare"/> of the hash rate, propagation <paramref name="propagationSeconds"/>
    /// and mean interval <paramref name="intervalSeconds"/>, stale ≈ 1 − exp(−share · t / T).
    /// </summary>
    public static double ModelStaleRate(double propagationSeconds, double intervalSeconds, double otherShare) =>
        1 - Math.Exp(-otherShare * propagationSeconds / intervalSeconds);

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
        progress.Step($"chain: a lab network of {Miners} mining nodes in a mesh (regtest), every message between them delayed {settings.LinkLatency.TotalMilliseconds:0} ms (simulated distance); at each mean interval, blocks found: {string.Join(", ", settings.Levels.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.IntervalSeconds:0.##} s × {l.Blocks}")))}");
        await using var chain = await PrivateChain.StartAsync(lab.File, Miners, settings.LinkLatency, Miners - 1, progress).ConfigureAwait(false);
        var levels = new List<Dictionary<string, object>>();
        var staleRates = new List<double[]>();
        var modelRates = new List<double[]>();
        var proportions = new List<Proportion>();
        var counted = new HashSet<string>();
        const double otherShare = (Miners - 1) / (double)Miners;
        foreach (var (interval, blocks) in settings.Levels)
        {
            var startHeight = (await ChainLab.InfoAsync(chain.Nodes[0]).ConfigureAwait(false)).Height;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await chain.MineAsync(Miners, TimeSpan.FromSeconds(interval), blocks, poisson: true).ConfigureAwait(false);
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
            var proportion = Proportion.Of(staleHere.Count, (int)mined);
            var rate = proportion.Value;
            var toAll = arrivals.Select(a => a.ToAllMs).ToList();
            var propagation = toAll.Count > 0 ? Percentiles.Of(toAll, 0.5)[0] : 0;
            var model = ModelStaleRate(propagation / 1000, interval, otherShare);
            var matches = proportion.Contains(model);
            proportions.Add(proportion);
            levels.Add(new()
            {
                ["mean_interval_s"] = interval,
                ["observed_interval_s"] = Math.Round(minedFor.TotalSeconds / blocks, 2),
                ["blocks_mined"] = mined,
                ["blocks_on_active_chain"] = active,
                ["stale_blocks"] = staleHere.Count,
                ["stale_rate"] = Math.Round(rate, 3),
                ["stale_rate_95ci"] = new[] { Math.Round(proportion.Low, 3), Math.Round(proportion.High, 3) },
                ["model_stale_rate"] = Math.Round(model, 3),
                ["model_within_95ci"] = matches,
                ["deepest_reorg_blocks"] = deepest,
                ["propagation_to_all_median_ms"] = Math.Round(propagation, 1),
                ["propagation_samples"] = toAll.Count,
            });
            staleRates.Add([interval, Math.Round(rate * 100, 1)]);
            modelRates.Add([interval, Math.Round(model * 100, 1)]);
            progress.Step(string.Create(CultureInfo.InvariantCulture,
                $"chain: mean interval {interval:0.##} s: {proportion} of blocks mined went stale; model {model * 100:0.#}% ({Describe(matches)}); deepest reorg {deepest} block{(deepest == 1 ? "" : "s")}; a block took {propagation:F0} ms (median of {toAll.Count}) to reach every node"));
        }
        result.Chain["levels"] = levels;
        result.Chain["network"] = $"{Miners} lab regtest nodes in a mesh, each finding blocks on its own tip, chosen at random; block finds a Poisson process (exponential gaps) at each mean interval";
        result.Chain["link_latency_ms"] = settings.LinkLatency.TotalMilliseconds;
        result.Chain["stale_rate_definition"] = "blocks mined that ended off the active chain ÷ all blocks mined at that interval; 95% Wilson interval";
        result.Chain["model"] = $"Decker and Wattenhofer (2013): stale ≈ 1 − exp(−s·t/T), s = {otherShare:0.###} (the other {Miners - 1} of {Miners} equal miners' share of the hash rate), t = the measured median time for a block to reach every node, T = the mean interval";
        result.Curves.Add(new Curve("chain", $"Chain: stale blocks as the block interval shrinks ({settings.LinkLatency.TotalMilliseconds:0} ms links)", "mean block interval (s)", "% of blocks mined that went stale",
            [new CurveSeries("stale % measured", staleRates), new CurveSeries("stale % model (Decker–Wattenhofer)", modelRates)]));
        result.Expect(levels.Count == settings.Levels.Count, "chain: an interval was not measured");
        var fastest = levels[0];
        var slowest = levels[^1];
        // Said only if the figures show it: intervals that overlap are no evidence of a trend.
        var allAgree = levels.All(l => (bool)l["model_within_95ci"]);
        var trend = proportions[^1].High < proportions[0].Low
            ? "a longer interval buys agreement with waiting"
            : allAgree
                ? $"these two intervals overlap, so the measurements alone do not show the trend at these sample sizes; the model, which every level agrees with, falls from {(double)fastest["model_stale_rate"] * 100:0.#}% to {(double)slowest["model_stale_rate"] * 100:0.#}%: a longer interval buys agreement with waiting"
                : "these two intervals overlap, so the measurements alone do not show the trend at these sample sizes; more blocks per level would";
        var models = string.Join("; ", levels.Select(l => string.Create(CultureInfo.InvariantCulture,
            $"{l["mean_interval_s"]} s: model {(double)l["model_stale_rate"] * 100:0.#}%, {Describe((bool)l["model_within_95ci"])}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"forks are normal: with blocks taking ≈{fastest["propagation_to_all_median_ms"]} ms to reach every node, {proportions[0]} of blocks went stale at {fastest["mean_interval_s"]} s intervals (deepest reorg {fastest["deepest_reorg_blocks"]}), {proportions[^1]} at {slowest["mean_interval_s"]} s — {trend}. Decker–Wattenhofer from the measured propagation: {models}");
    }

    private static string Describe(bool withinInterval) => withinInterval ? "within the measurement's 95% interval" : "outside the measurement's 95% interval";
}
