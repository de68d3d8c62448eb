using System.Globalization;
using LedgerContrast.Contrast.Emulation;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Shared.Cli;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// `contrast forks --emulate`: the forks experiment over links the kernel limits. Three lab
/// miners run in network namespaces of their own on the emulated network's switch, each link
/// limited by tc tbf; a level's miners build blocks of up to its size from a backlog of payments
/// already in every mempool, so a bigger block takes longer on the wire — as on a real network,
/// where propagation grows with size — and the stale rate with it. Each level is a fresh lab
/// network, so a level's forks and backlog never reach the next.
/// </summary>
public static class EmulatedForks
{
    /// <param name="BlockBytes">The miners' --block-max-size; 0 for empty blocks (a coinbase only, ≈250 bytes).</param>
    public sealed record Level(double IntervalSeconds, int BlockBytes, int Blocks);

    public sealed record Settings(LinkShape Link, IReadOnlyList<Level> Levels)
    {
        private static readonly LinkShape s_tenMegabit = new(10_000_000, 0, TimeSpan.Zero);

        public static readonly Settings Full = new(s_tenMegabit, [new(2, 0, 40), new(2, 100_000, 40), new(2, 250_000, 40), new(1, 250_000, 40)]);
        public static readonly Settings Quick = new(s_tenMegabit, [new(1, 0, 20), new(1, 250_000, 20)]);
    }

    public static async Task<string> RunChainAsync(LabNetwork lab, ScenarioResult result, Progress progress, Settings settings)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(settings);
        var emulation = lab.File.Emulation
            ?? throw new CliException("NOT_EMULATED", "forks --emulate needs an emulated network: start it with run-network.ps1 -Emulate (Linux, root), and run contrast in its clients namespace.");
        var kernelDelays = EmulatedNetwork.KernelDelays(emulation);
        var delayBy = settings.Link.Delay == TimeSpan.Zero ? "" : kernelDelays ? "netem" : "--link-latency";
        progress.Step(string.Create(CultureInfo.InvariantCulture,
            $"chain: {ForksScenario.Miners} lab regtest miners in network namespaces of their own on {emulation.SwitchNamespace}, a mesh, each link {settings.Link}{(delayBy == "" ? "" : $" (delay by {delayBy})")}; levels: {string.Join(", ", settings.Levels.Select(l => $"{l.IntervalSeconds:0.##} s × {l.Blocks} blocks of {Size(l.BlockBytes)}"))}"));
        var levels = new List<ForksScenario.StaleLevel>();
        foreach (var level in settings.Levels)
        {
            string[] policy = level.BlockBytes > 0 ? ["--block-max-size", level.BlockBytes.ToString(CultureInfo.InvariantCulture), "--mempool-size", "200000000"] : [];
            await using var chain = await PrivateChain.StartAsync(lab.File, ForksScenario.Miners, kernelDelays ? TimeSpan.Zero : settings.Link.Delay, ForksScenario.Miners - 1, progress, settings.Link, policy).ConfigureAwait(false);
            if (level.BlockBytes > 0)
            {
                await BlockFiller.PreloadAsync(chain, level.BlockBytes, level.Blocks, progress).ConfigureAwait(false);
            }
            var measured = await ForksScenario.MeasureLevelAsync(chain, level.IntervalSeconds, level.Blocks, [], progress).ConfigureAwait(false);
            levels.Add(measured);
            progress.Step("chain: " + measured.Sentence + string.Create(CultureInfo.InvariantCulture, $" (the link alone needs {settings.Link.SecondsFor((long)measured.MeanBlockBytes) * 1000:F0} ms a hop for that many bytes: computed, not measured)"));
        }
        result.Chain["emulated"] = true;
        result.Chain["levels"] = levels.Zip(settings.Levels, (m, l) =>
        {
            var json = m.ToJson();
            json["block_max_size"] = l.BlockBytes;
            json["link_ms_per_hop_computed"] = Math.Round(settings.Link.SecondsFor((long)m.MeanBlockBytes) * 1000, 1);
            return json;
        }).ToList();
        result.Chain["network"] = $"{ForksScenario.Miners} lab regtest nodes in a mesh, each in a network namespace of its own on the emulated switch; blocks found on a random miner's own tip, a Poisson process at each mean interval; blocks filled from a backlog already in every mempool, up to the level's --block-max-size";
        result.Chain["links"] = new Dictionary<string, object> { ["bandwidth"] = settings.Link.BandwidthText, ["loss"] = settings.Link.LossText, ["delay"] = settings.Link.DelayText, ["delay_by"] = delayBy };
        ForksScenario.Describe(result, levels);
        var atFirstInterval = levels.Where(l => l.IntervalSeconds == settings.Levels[0].IntervalSeconds).ToList();
        result.Curves.Add(new Curve("chain", string.Create(CultureInfo.InvariantCulture, $"Chain: stale blocks as blocks grow ({settings.Link.BandwidthText} links, {settings.Levels[0].IntervalSeconds:0.##} s interval)"), "mean block size (kB)", "% of blocks mined that went stale",
            [new CurveSeries("stale % measured", [.. atFirstInterval.Select(l => new[] { Math.Round(l.MeanBlockBytes / 1000, 1), Math.Round(l.Stale.Value * 100, 1) })]),
             new CurveSeries("stale % model (Decker–Wattenhofer)", [.. atFirstInterval.Select(l => new[] { Math.Round(l.MeanBlockBytes / 1000, 1), Math.Round(l.Model * 100, 1) })])]));
        result.Expect(levels.Count == settings.Levels.Count, "chain: a level was not measured");
        result.Expect(atFirstInterval.Count < 2 || atFirstInterval[^1].PropagationMs > atFirstInterval[0].PropagationMs,
            "chain: bigger blocks did not take longer to reach every node over the limited links");
        var small = atFirstInterval[0];
        var large = atFirstInterval[^1];
        var trend = large.Stale.Low > small.Stale.High
            ? "bigger blocks travel longer and go stale more often"
            : "the two stale rates' intervals overlap at these sample sizes, so the measurements alone do not show the trend; the model from the measured propagation does";
        return string.Create(CultureInfo.InvariantCulture,
            $"over {settings.Link.BandwidthText} links, a block of {small.MeanBlockBytes / 1000:0.#} kB reached every node in {small.PropagationMs:F0} ms and one of {large.MeanBlockBytes / 1000:0.#} kB in {large.PropagationMs:F0} ms; at {small.IntervalSeconds:0.##} s intervals {small.Stale} and {large.Stale} of blocks went stale — {trend}. Decker–Wattenhofer from the measured propagation: {ForksScenario.Models(levels)}");
    }

    private static string Size(int bytes) => bytes == 0 ? "a coinbase only" : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1000:N0} kB");
}
