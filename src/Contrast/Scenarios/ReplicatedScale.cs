using System.Globalization;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Measurement;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// The replicated bank's half of the scalability experiment. Writes: the same load on the single
/// bank and on the replicated one, in alternating rounds (this machine is shared and noisy), so the
/// cost of redundancy is a ratio within each round — every write waits for a majority's disk.
/// Reads: follower reads (stale_ok) spread over 1, 2, … replicas beside the leader's linearizable
/// reads: what adding a replica adds to read capacity. Every replica of the lab runs on this one
/// machine, so added replicas share its cores; the figure says so.
/// </summary>
public static class ReplicatedScale
{
    public const int Clients = 16;

    public static async Task<string> RunAsync(LabNetwork lab, ReplicatedLabBank bank, ScenarioResult result, Progress progress, ScaleScenario.Settings settings)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(settings);
        await bank.ConvergedAsync(progress).ConfigureAwait(false);
        var replicated = await BankLab.NewCustomersAsync(bank, "rsc", Clients + 1, 1_000_000_00000000).ConfigureAwait(false);
        List<LabCustomer>? single = lab.HasBank ? await BankLab.NewCustomersAsync(lab, "rsc1", Clients + 1, 1_000_000_00000000).ConfigureAwait(false) : null;
        var rounds = settings.ReplicatedRounds;
        progress.Step($"replicated bank: {Clients} clients write for {settings.BankSeconds.TotalSeconds:0.#} s, {rounds} rounds alternating with the single bank, each warmed up first until its JIT compiler settles (not measured)");
        var warmUp = await BankLab.WarmUpAsync(bank, replicated, Clients).ConfigureAwait(false);
        result.Replicated["write_conditions"] = BankLab.Conditions(warmUp);
        if (single is not null)
        {
            var singleWarmUp = await BankLab.WarmUpAsync(lab, single, Clients).ConfigureAwait(false);
            result.Replicated["single_write_conditions"] = BankLab.Conditions(singleWarmUp);
        }
        progress.Step($"replicated bank: {BankLab.Conditions(warmUp)}");
        var roundFigures = new List<Dictionary<string, object?>>();
        var ratios = new List<double>();
        var replicatedLatencies = new List<double>();
        var replicatedRates = new List<double>();
        var replicatedEstimates = new List<RateEstimate>();
        for (var round = 1; round <= rounds; round++)
        {
            double? singleRate = null;
            if (single is not null)
            {
                var (sOk, sSeconds, _) = await BankLab.TransferLoadAsync(lab, single, Clients, settings.BankSeconds).ConfigureAwait(false);
                singleRate = sOk / sSeconds;
            }
            var load = await BankLab.TransferLoadAsync(bank, replicated, Clients, settings.BankSeconds).ConfigureAwait(false);
            var latencies = load.LatenciesMs;
            var rate = load.Rate.PerSecond;
            replicatedEstimates.Add(load.Rate);
            replicatedRates.Add(rate);
            replicatedLatencies.AddRange(latencies);
            var ratio = singleRate is > 0 ? rate / singleRate.Value : (double?)null;
            if (ratio is { } r)
            {
                ratios.Add(r);
            }
            roundFigures.Add(new()
            {
                ["round"] = round,
                ["single_transfers_per_second"] = singleRate is { } s ? Math.Round(s) : null,
                ["replicated_transfers_per_second"] = Math.Round(rate),
                ["replicated_transfers_per_second_95ci"] = new[] { Math.Round(load.Rate.Low), Math.Round(load.Rate.High) },
                ["ratio_replicated_to_single"] = ratio is { } q ? Math.Round(q, 2) : null,
                ["replicated_requests"] = latencies.Count,
            });
            progress.Step(string.Create(CultureInfo.InvariantCulture,
                $"replicated bank: round {round}: single {(singleRate is { } x ? $"{x:F0}" : "—")} transfers/s, {bank.Urls.Count} replicas {rate:F0}/s{(ratio is { } y ? $" ({y:F2}× single)" : "")}"));
        }
        var write = LatencySeries.Percentiles(ScenarioResult.ReplicatedSystem, $"{Clients} clients", replicatedLatencies);
        var ratioMedian = ratios.Count > 0 ? Percentiles.Of(ratios, 0.5)[0] : (double?)null;

        // Reads: 16 clients spread over the first k replicas, each asking its replica for a balance with stale_ok.
        var account = replicated[0].AccountId;
        var readLevels = new List<Dictionary<string, object>>();
        var readCurve = new List<double[]>();
        var readEstimates = new List<RateEstimate>();
        var leaderLoad = await ReadLoadAsync([bank.Client(replicated[0].Token)], account, false, settings.BankSeconds).ConfigureAwait(false);
        var leaderLatencies = leaderLoad.LatenciesMs;
        var leaderRate = leaderLoad.Rate.PerSecond;
        var leaderSeries = LatencySeries.Percentiles(ScenarioResult.ReplicatedSystem, "leader reads", leaderLatencies);
        progress.Step(string.Create(CultureInfo.InvariantCulture, $"replicated bank: {Clients} clients reading through the leader (linearizable, a read barrier each): {leaderLoad.Rate} reads, p50 {leaderSeries.P50Ms:F1} ms"));
        for (var k = 1; k <= bank.Urls.Count; k++)
        {
            var replicas = bank.Urls.Take(k).Select(bank.Direct).ToList();
            var readLoad = await ReadLoadAsync(replicas, account, true, settings.BankSeconds).ConfigureAwait(false);
            var latencies = readLoad.LatenciesMs;
            var (reads, seconds) = (readLoad.Succeeded, readLoad.Seconds);
            var series = LatencySeries.Percentiles(ScenarioResult.ReplicatedSystem, $"stale reads, {k} replicas", latencies);
            readLevels.Add(new()
            {
                ["replicas_serving"] = k,
                ["reads_per_second"] = Math.Round(reads / seconds),
                ["reads_per_second_95ci"] = new[] { Math.Round(readLoad.Rate.Low), Math.Round(readLoad.Rate.High) },
                ["p50_ms"] = Math.Round(series.P50Ms, 2),
                [series.SecondMark + "_ms"] = Math.Round(series.P99Ms, 2),
                ["requests"] = latencies.Count,
            });
            readCurve.Add([k, Math.Round(reads / seconds)]);
            readEstimates.Add(readLoad.Rate);
            progress.Step(string.Create(CultureInfo.InvariantCulture, $"replicated bank: {Clients} clients reading stale_ok from {k} replica{(k == 1 ? "" : "s")}: {readLoad.Rate} reads, p50 {series.P50Ms:F1} ms"));
        }
        result.Replicated["replicas"] = bank.Urls.Count;
        result.Replicated["write_rounds"] = roundFigures;
        result.Replicated["write_ratio_to_single_median"] = ratioMedian is { } m ? Math.Round(m, 2) : null;
        result.Replicated["write_p50_ms"] = Math.Round(write.P50Ms, 2);
        result.Replicated["write_" + write.SecondMark + "_ms"] = Math.Round(write.P99Ms, 2);
        result.Replicated["write_requests"] = replicatedLatencies.Count;
        result.Replicated["leader_reads_per_second"] = Math.Round(leaderRate);
        result.Replicated["leader_read_p50_ms"] = Math.Round(leaderSeries.P50Ms, 2);
        result.Replicated["stale_read_levels"] = readLevels;
        result.Replicated["client"] = $"{Clients} clients, each its own connection; writes: one 1-unit transfer at a time, {settings.BankSeconds.TotalSeconds:0.#} s per round, a round = the single bank then the replicated one; reads: GetBalance of one account, one at a time, clients spread evenly over the replicas serving";
        result.Replicated["machine"] = $"all {bank.Urls.Count} replicas, the single bank and the clients on this one machine ({Environment.ProcessorCount} cores): an added replica adds no cores here, so the read levels show what replication lets reads spread to, not what separate machines would add";
        result.Curves.Add(new Curve(ScenarioResult.ReplicatedSystem, "Replicated bank: stale_ok reads/s as replicas serve", "replicas serving reads", "reads/s", [new CurveSeries("reads/s", readCurve)]));
        result.Expect(replicatedRates.All(r => r > 0), "replicated bank: no transfer succeeded in a round");
        var first = readCurve[0][1];
        var last = readCurve[^1][1];
        return string.Create(CultureInfo.InvariantCulture,
            $"writes: every write waits for a majority's disk — {replicatedRates.Average():N0} transfers/s with {Clients} clients (mean of {rounds} rounds of {settings.BankSeconds.TotalSeconds:0.#} s; 95% CIs {string.Join(", ", replicatedEstimates.Select(e => $"{e.Low:N0}–{e.High:N0}"))}){(ratioMedian is { } mr ? $", {mr:0.00}× the single server in the same rounds (median of {ratios.Count})" : "")}, {write.SecondMark} {write.P99Ms:0.#} ms; reads spread over replicas (stale_ok, may lag): {first:N0} → {last:N0} reads/s from 1 to {bank.Urls.Count} replicas (95% CIs {string.Join(", ", readEstimates.Select(e => $"{e.Low:N0}–{e.High:N0}"))}), on one {Environment.ProcessorCount}-core machine (leader-only linearizable reads {leaderLoad.Rate})");
    }

    /// <summary>One client per <see cref="Clients"/> slot, spread round-robin over <paramref name="replicas"/>, reading one balance at a time.</summary>
    private static Task<LoadResult> ReadLoadAsync(List<BankService.BankServiceClient> replicas, string accountId, bool staleOk, TimeSpan duration) =>
        LoadResult.RunAsync(Clients, duration, async (i, _) =>
            await replicas[i % replicas.Count].GetBalanceAsync(new GetBalanceRequest { AccountId = accountId, StaleOk = staleOk }, deadline: DateTime.UtcNow.AddSeconds(10)));
}
