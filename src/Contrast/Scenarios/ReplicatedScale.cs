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
        progress.Step($"replicated bank: {Clients} clients write for {settings.BankSeconds.TotalSeconds:0.#} s, {rounds} rounds alternating with the single bank (1 s warm-up on each first, not measured)");
        await BankLab.TransferLoadAsync(bank, replicated, Clients, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        if (single is not null)
        {
            await BankLab.TransferLoadAsync(lab, single, Clients, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        var roundFigures = new List<Dictionary<string, object?>>();
        var ratios = new List<double>();
        var replicatedLatencies = new List<double>();
        var replicatedRates = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            double? singleRate = null;
            if (single is not null)
            {
                var (sOk, sSeconds, _) = await BankLab.TransferLoadAsync(lab, single, Clients, settings.BankSeconds).ConfigureAwait(false);
                singleRate = sOk / sSeconds;
            }
            var (ok, seconds, latencies) = await BankLab.TransferLoadAsync(bank, replicated, Clients, settings.BankSeconds).ConfigureAwait(false);
            var rate = ok / seconds;
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
        var (leaderReads, leaderSeconds, leaderLatencies) = await ReadLoadAsync([bank.Client(replicated[0].Token)], account, false, settings.BankSeconds).ConfigureAwait(false);
        var leaderRate = leaderReads / leaderSeconds;
        var leaderSeries = LatencySeries.Percentiles(ScenarioResult.ReplicatedSystem, "leader reads", leaderLatencies);
        progress.Step(string.Create(CultureInfo.InvariantCulture, $"replicated bank: {Clients} clients reading through the leader (linearizable, a read barrier each): {leaderRate:F0} reads/s, p50 {leaderSeries.P50Ms:F1} ms"));
        for (var k = 1; k <= bank.Urls.Count; k++)
        {
            var replicas = bank.Urls.Take(k).Select(bank.Direct).ToList();
            var (reads, seconds, latencies) = await ReadLoadAsync(replicas, account, true, settings.BankSeconds).ConfigureAwait(false);
            var series = LatencySeries.Percentiles(ScenarioResult.ReplicatedSystem, $"stale reads, {k} replicas", latencies);
            readLevels.Add(new()
            {
                ["replicas_serving"] = k,
                ["reads_per_second"] = Math.Round(reads / seconds),
                ["p50_ms"] = Math.Round(series.P50Ms, 2),
                [series.SecondMark + "_ms"] = Math.Round(series.P99Ms, 2),
                ["requests"] = latencies.Count,
            });
            readCurve.Add([k, Math.Round(reads / seconds)]);
            progress.Step(string.Create(CultureInfo.InvariantCulture, $"replicated bank: {Clients} clients reading stale_ok from {k} replica{(k == 1 ? "" : "s")}: {reads / seconds:F0} reads/s, p50 {series.P50Ms:F1} ms"));
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
            $"writes: every write waits for a majority's disk — {replicatedRates.Average():0} transfers/s with {Clients} clients{(ratioMedian is { } mr ? $", {mr:0.00}× the single server in the same rounds (median of {ratios.Count})" : "")}, {write.SecondMark} {write.P99Ms:0.#} ms; reads spread over replicas (stale_ok, may lag): {first:0} → {last:0} reads/s from 1 to {bank.Urls.Count} replicas, on one {Environment.ProcessorCount}-core machine (leader-only linearizable reads {leaderRate:0}/s)");
    }

    /// <summary>One client per <see cref="Clients"/> slot, spread round-robin over <paramref name="replicas"/>, reading one balance at a time.</summary>
    private static async Task<(long Reads, double Seconds, IReadOnlyCollection<double> LatenciesMs)> ReadLoadAsync(List<BankService.BankServiceClient> replicas, string accountId, bool staleOk, TimeSpan duration)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        long ok = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            var client = replicas[i % replicas.Count];
            while (clock.Elapsed < duration)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    await client.GetBalanceAsync(new GetBalanceRequest { AccountId = accountId, StaleOk = staleOk }, deadline: DateTime.UtcNow.AddSeconds(10));
                    Interlocked.Increment(ref ok);
                }
                catch (Grpc.Core.RpcException)
                {
                }
                latencies.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }))).ConfigureAwait(false);
        return (ok, clock.Elapsed.TotalSeconds, latencies);
    }
}
