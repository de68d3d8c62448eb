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

    internal const int Miners = 3;

    /// <param name="emulated">Over the emulated network's links instead (contrast forks --emulate), sweeping block size as well.</param>
    public static async Task<ScenarioResult> RunAsync(LabNetwork lab, Settings settings, EmulatedForks.Settings? emulated = null)
    {
        ArgumentNullException.ThrowIfNull(lab);
        // The lab's miners are measured without the network's miners on the same cores.
        await using var paused = await lab.PauseMiningAsync().ConfigureAwait(false);
        return await ScenarioResult.RunBothAsync(lab, "forks", "Forks and stale blocks", RunBankAsync,
            (l, r, p) => emulated is null ? RunChainAsync(l, r, p, settings) : EmulatedForks.RunChainAsync(l, r, p, emulated)).ConfigureAwait(false);
    }

    private static Task<string> RunBankAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        // Nothing to run: one server orders every write, so there is no second version of the ledger to orphan.
        result.Bank["stale_entries"] = 0;
        result.Bank["why"] = "one server appends every entry to one journal in one order; there is no competing writer";
        progress.Step("bank: no forks by construction — one server orders every transfer");
        return Task.FromResult("none by construction: one server orders every transfer; an answer is final (0 stale entries)");
    }

    /// <summary>One level of the sweep as measured: blocks mined at a mean interval, how many went stale, and how fast blocks travelled.</summary>
    internal sealed record StaleLevel(double IntervalSeconds, double ObservedIntervalSeconds, long Mined, long Active, Proportion Stale, uint DeepestReorg,
        double PropagationMs, int PropagationSamples, double MeanBlockBytes, double Model)
    {
        public bool ModelWithinInterval => Stale.Contains(Model);

        public Dictionary<string, object> ToJson() => new()
        {
            ["mean_interval_s"] = IntervalSeconds,
            ["observed_interval_s"] = Math.Round(ObservedIntervalSeconds, 2),
            ["blocks_mined"] = Mined,
            ["blocks_on_active_chain"] = Active,
            ["stale_blocks"] = Stale.Count,
            ["stale_rate"] = Math.Round(Stale.Value, 3),
            ["stale_rate_95ci"] = new[] { Math.Round(Stale.Low, 3), Math.Round(Stale.High, 3) },
            ["model_stale_rate"] = Math.Round(Model, 3),
            ["model_within_95ci"] = ModelWithinInterval,
            ["deepest_reorg_blocks"] = DeepestReorg,
            ["propagation_to_all_median_ms"] = Math.Round(PropagationMs, 1),
            ["propagation_samples"] = PropagationSamples,
            ["mean_block_bytes"] = Math.Round(MeanBlockBytes),
        };

        public string Sentence => string.Create(CultureInfo.InvariantCulture,
            $"mean interval {IntervalSeconds:0.##} s: {Stale} of blocks mined went stale; model {Model * 100:0.#}% ({Describe(ModelWithinInterval)}); deepest reorg {DeepestReorg} block{(DeepestReorg == 1 ? "" : "s")}; a block of {MeanBlockBytes:N0} bytes on average took {PropagationMs:F0} ms (median of {PropagationSamples}) to reach every node");
    }

    /// <summary>
    /// Mines <paramref name="blocks"/> blocks as a Poisson process at <paramref name="interval"/> on
    /// the first <see cref="Miners"/> nodes, waits for one tip, and counts what went stale —
    /// blocks not already in <paramref name="counted"/> (an earlier level's), below the tip.
    /// </summary>
    internal static async Task<StaleLevel> MeasureLevelAsync(PrivateChain chain, double interval, int blocks, HashSet<string> counted, Progress progress)
    {
        var startHeight = (await ChainLab.InfoAsync(chain.Nodes[0]).ConfigureAwait(false)).Height;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await chain.MineAsync(Miners, TimeSpan.FromSeconds(interval), blocks, poisson: true).ConfigureAwait(false);
        var minedFor = clock.Elapsed;
        var (tipHeight, tieBreaks) = await chain.ConvergeAsync(progress).ConfigureAwait(false);
        var endHeight = tipHeight - tieBreaks;
        var arrivals = await BlockObservation.ArrivalsAsync(chain.Nodes, startHeight, endHeight).ConfigureAwait(false);
        var (stale, branches) = await BlockObservation.StaleAsync(chain.Nodes).ConfigureAwait(false);
        var staleHere = stale.Where(b => b.Height <= endHeight && counted.Add(b.Hash)).ToList();
        var deepest = branches.Where(b => b.TipHeight > startHeight && b.TipHeight <= endHeight).Select(b => b.Length).DefaultIfEmpty(0u).Max();
        var active = endHeight - startHeight;
        var toAll = arrivals.Select(a => a.ToAllMs).ToList();
        var propagation = toAll.Count > 0 ? Percentiles.Of(toAll, 0.5)[0] : 0;
        return new StaleLevel(interval, minedFor.TotalSeconds / blocks, active + staleHere.Count, active, Proportion.Of(staleHere.Count, (int)(active + staleHere.Count)), deepest,
            propagation, toAll.Count, arrivals.Count > 0 ? arrivals.Average(a => a.Size) : 0, ModelStaleRate(propagation / 1000, interval, OtherShare));
    }

    private const double OtherShare = (Miners - 1) / (double)Miners;

    private static async Task<string> RunChainAsync(LabNetwork lab, ScenarioResult result, Progress progress, Settings settings)
    {
        progress.Step($"chain: a lab network of {Miners} mining nodes in a mesh (regtest), every message between them delayed {settings.LinkLatency.TotalMilliseconds:0} ms (simulated distance); at each mean interval, blocks found: {string.Join(", ", settings.Levels.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.IntervalSeconds:0.##} s × {l.Blocks}")))}");
        await using var chain = await PrivateChain.StartAsync(lab.File, Miners, settings.LinkLatency, Miners - 1, progress).ConfigureAwait(false);
        var levels = new List<StaleLevel>();
        var counted = new HashSet<string>();
        foreach (var (interval, blocks) in settings.Levels)
        {
            var level = await MeasureLevelAsync(chain, interval, blocks, counted, progress).ConfigureAwait(false);
            levels.Add(level);
            progress.Step("chain: " + level.Sentence);
        }
        result.Chain["levels"] = levels.Select(l => l.ToJson()).ToList();
        result.Chain["network"] = $"{Miners} lab regtest nodes in a mesh, each finding blocks on its own tip, chosen at random; block finds a Poisson process (exponential gaps) at each mean interval";
        result.Chain["link_latency_ms"] = settings.LinkLatency.TotalMilliseconds;
        Describe(result, levels);
        result.Curves.Add(new Curve("chain", $"Chain: stale blocks as the block interval shrinks ({settings.LinkLatency.TotalMilliseconds:0} ms links)", "mean block interval (s)", "% of blocks mined that went stale",
            [new CurveSeries("stale % measured", [.. levels.Select(l => new[] { l.IntervalSeconds, Math.Round(l.Stale.Value * 100, 1) })]),
             new CurveSeries("stale % model (Decker–Wattenhofer)", [.. levels.Select(l => new[] { l.IntervalSeconds, Math.Round(l.Model * 100, 1) })])]));
        result.Expect(levels.Count == settings.Levels.Count, "chain: an interval was not measured");
        var fastest = levels[0];
        var slowest = levels[^1];
        // Said only if the figures show it: intervals that overlap are no evidence of a trend.
        var allAgree = levels.All(l => l.ModelWithinInterval);
        var trend = slowest.Stale.High < fastest.Stale.Low
            ? "a longer interval buys agreement with waiting"
            : allAgree
                ? $"these two intervals overlap, so the measurements alone do not show the trend at these sample sizes; the model, which every level agrees with, falls from {fastest.Model * 100:0.#}% to {slowest.Model * 100:0.#}%: a longer interval buys agreement with waiting"
                : "these two intervals overlap, so the measurements alone do not show the trend at these sample sizes; more blocks per level would";
        return string.Create(CultureInfo.InvariantCulture,
            $"forks are normal: with blocks taking ≈{Math.Round(fastest.PropagationMs, 1)} ms to reach every node, {fastest.Stale} of blocks went stale at {fastest.IntervalSeconds} s intervals (deepest reorg {fastest.DeepestReorg}), {slowest.Stale} at {slowest.IntervalSeconds} s — {trend}. Decker–Wattenhofer from the measured propagation: {Models(levels)}");
    }

    /// <summary>What both sweeps say of their levels in report.json: how a stale rate is counted, and the model beside it.</summary>
    internal static void Describe(ScenarioResult result, IReadOnlyList<StaleLevel> levels)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.Chain["stale_rate_definition"] = "blocks mined that ended off the active chain ÷ all blocks mined at that level; 95% Wilson interval";
        result.Chain["model"] = $"Decker and Wattenhofer (2013): stale ≈ 1 − exp(−s·t/T), s = {OtherShare:0.###} (the other {Miners - 1} of {Miners} equal miners' share of the hash rate), t = the measured median time for a block to reach every node, T = the mean interval";
    }

    internal static string Models(IReadOnlyList<StaleLevel> levels) => string.Join("; ", levels.Select(l => string.Create(CultureInfo.InvariantCulture,
        $"{l.IntervalSeconds} s{(l.MeanBlockBytes >= 10_000 ? $", {l.MeanBlockBytes / 1000:N0} kB" : "")}: model {l.Model * 100:0.#}%, {Describe(l.ModelWithinInterval)}")));

    internal static string Describe(bool withinInterval) => withinInterval ? "within the measurement's 95% interval" : "outside the measurement's 95% interval";
}
