using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Measurement;
using ChainState = LedgerContrast.Protos.Chain.V1.TransactionStatus.Types.State;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>Performance on the same machine: bank transfers/s and latency; chain tx/s bounded by blocks, and confirmation latency.</summary>
public static class ThroughputScenario
{
    /// <summary>Concurrent bank clients, as at the 16-client level of contrast scale.</summary>
    public const int Clients = 16;

    public static async Task<ScenarioResult> RunAsync(LabNetwork lab, TimeSpan bankDuration, int chainPayments)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var result = new ScenarioResult("throughput");
        var progress = new Progress("throughput");
        var bankVerdict = "(no bank in this network)";
        string? replicatedVerdict = null;
        if (lab.HasBank || lab.Replicated is not null)
        {
            // The bank is measured as contrast scale measures it, so the two rows can be compared:
            // the network's miners paused (they share these cores), a warm-up first.
            await using var paused = await lab.PauseMiningAsync().ConfigureAwait(false);
            if (lab.HasBank)
            {
                var accounts = await BankLab.NewCustomersAsync(lab, "tp", Clients + 1, 1_000_000_00000000).ConfigureAwait(false);
                progress.Step($"bank: {Clients} clients transfer for {bankDuration.TotalSeconds:F0} s, after an unmeasured warm-up until the bank's JIT compiler settles; the network's miners paused");
                var conditions = BankLab.Conditions(await BankLab.WarmUpAsync(lab, accounts, Clients).ConfigureAwait(false));
                var load = await BankLab.TransferLoadAsync(lab, accounts, Clients, bankDuration).ConfigureAwait(false);
                var p50p99 = Percentiles.Of(load.LatenciesMs, 0.5, 0.99);
                var (p50, p99) = (p50p99[0], p50p99[1]);
                var rate = load.Rate;
                result.Bank["transfers"] = load.Succeeded;
                result.Bank["clients"] = Clients;
                result.Bank["transfers_per_second"] = Math.Round(rate.PerSecond);
                result.Bank["transfers_per_second_95ci"] = new[] { Math.Round(rate.Low), Math.Round(rate.High) };
                result.Bank["rate_slices"] = rate.Slices;
                result.Bank["p50_ms"] = Math.Round(p50, 2);
                result.Bank["p99_ms"] = Math.Round(p99, 2);
                result.Bank["latency_samples"] = load.LatenciesMs.Count;
                result.Bank["conditions"] = conditions;
                result.Latencies.Add(LatencySeries.Percentiles("bank", "transfer, final", load.LatenciesMs));
                progress.Step($"bank: {rate}, final on reply; p50 {p50:F1} ms, p99 {p99:F1} ms of {load.LatenciesMs.Count} requests");
                bankVerdict = $"{rate} durable transfers with {Clients} clients ({conditions}); each final on reply: p50 {p50:F1} ms, p99 {p99:F1} ms of {load.LatenciesMs.Count:N0} requests";
            }
            if (lab.Replicated is { } replicas)
            {
                replicatedVerdict = await ReplicatedAsync(replicas, result, progress, bankDuration,
                    result.Bank.TryGetValue("transfers_per_second", out var single) ? (double?)single : null).ConfigureAwait(false);
            }
        }

        var node = lab.Nodes[0];
        using var alice = lab.Wallets.Load("alice");
        using var bob = lab.Wallets.Load("bob");
        var info = await ChainLab.InfoAsync(node).ConfigureAwait(false);
        var coin = await ChainLab.WaitForCoinAsync(progress, node, alice).ConfigureAwait(false);
        var split = ChainLab.Split(coin, alice, chainPayments, ChainLab.NetworkId(info));
        await ChainLab.SubmitAsync(node, split).ConfigureAwait(false);
        progress.Step($"chain: split one coin into {chainPayments} outputs; waiting for it to confirm");
        await progress.UntilAsync("the split confirming", async () => (await ChainLab.StatusAsync(node, split.Txid).ConfigureAwait(false)).State == ChainState.Confirmed, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        var payments = Enumerable.Range(0, chainPayments)
            .Select(i => ChainLab.Pay(new OutPoint(split.Txid, (uint)i), split.Outputs[i].Amount, alice, bob, ChainLab.NetworkId(info))).ToList();
        var submitted = new Dictionary<Hash256, long>();
        var acceptedAt = new List<double>();
        var clock2 = Stopwatch.StartNew();
        foreach (var payment in payments)
        {
            await ChainLab.SubmitAsync(node, payment).ConfigureAwait(false);
            submitted[payment.Txid] = Stopwatch.GetTimestamp();
            acceptedAt.Add(clock2.Elapsed.TotalSeconds);
        }
        var submitSeconds = clock2.Elapsed.TotalSeconds;
        var acceptance = RateEstimate.FromCompletions(acceptedAt, submitSeconds);
        progress.Step($"chain: {chainPayments} payments accepted into the mempool in {submitSeconds:F2} s: {acceptance}; waiting for confirmations");
        var confirmedAt = new Dictionary<Hash256, long>();
        await progress.UntilAsync("every payment confirming", async () =>
        {
            foreach (var payment in payments.Where(p => !confirmedAt.ContainsKey(p.Txid)))
            {
                if ((await ChainLab.StatusAsync(node, payment.Txid).ConfigureAwait(false)).State == ChainState.Confirmed)
                {
                    confirmedAt[payment.Txid] = Stopwatch.GetTimestamp();
                }
            }
            return confirmedAt.Count == payments.Count;
        }, TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        var total = clock2.Elapsed.TotalSeconds;
        var chainLatencies = payments.Select(p => Stopwatch.GetElapsedTime(submitted[p.Txid], confirmedAt[p.Txid]).TotalMilliseconds).ToList();
        var c50 = Percentiles.Of(chainLatencies, 0.5)[0];
        // Capacity is a property of the rules: as many of these payments as fit in a block, per
        // interval. The burst's rate is something else: N payments over the wait for the blocks
        // that took them, which says more about when the next block happened to come.
        var paymentSize = payments[0].Size;
        var (perBlock, intervalSeconds, capacity) = ChainLab.Capacity(info, paymentSize);
        result.Chain["payments"] = chainPayments;
        result.Chain["submitted_by"] = "1 client, one payment at a time, to one node";
        result.Chain["nodes"] = lab.Nodes.Count;
        result.Chain["block_interval_ms"] = info.BlockIntervalMs;
        result.Chain["mempool_acceptance_per_second"] = Math.Round(acceptance.PerSecond);
        result.Chain["mempool_acceptance_per_second_95ci"] = new[] { Math.Round(acceptance.Low), Math.Round(acceptance.High) };
        result.Chain["capacity_tx_per_second"] = Math.Round(capacity, 1);
        result.Chain["capacity_basis"] = $"computed, not measured: {perBlock} payments of {paymentSize} bytes per block ÷ {intervalSeconds:0.###} s interval";
        result.Chain["burst_confirmed_per_second"] = Math.Round(chainPayments / total, 1);
        result.Chain["confirmation_p50_ms"] = Math.Round(c50);
        result.Chain["confirmation_max_ms"] = Math.Round(chainLatencies.Max());
        result.Chain["confirmation_samples"] = chainLatencies.Count;
        result.Latencies.Add(LatencySeries.Percentiles("chain", "payment, 1 confirmation", chainLatencies));
        progress.Step($"chain: capacity {capacity:F0} tx/s (computed, not measured: {perBlock} payments per block ÷ {intervalSeconds:0.###} s); this burst: {chainPayments} payments confirmed in {total:F1} s = {chainPayments / total:F1} tx/s; first confirmation p50 {c50 / 1000:F1} s, max {chainLatencies.Max() / 1000:F1} s");
        result.Verdicts.Add(new Verdict("Performance", bankVerdict,
            $"{acceptance} payments into one node's mempool (1 client, one at a time); capacity {capacity:F0} confirmed tx/s (computed from the rules, not measured: {perBlock} payments per block every {intervalSeconds:0.###} s, on {lab.Nodes.Count} nodes — more nodes do not raise it); this burst of {chainPayments} confirmed in {total:F1} s; first confirmation p50 {c50 / 1000:F1} s, max {chainLatencies.Max() / 1000:F1} s of {chainLatencies.Count} payments",
            replicatedVerdict));
        result.Seconds = progress.Elapsed.TotalSeconds;
        result.Steps.AddRange(progress.Steps);
        return result;
    }

    /// <summary>
    /// The same load on the replicated bank, right after the single bank's (one run each, in turn:
    /// contrast scale alternates rounds for the ratio): a transfer is final on reply there too, once
    /// a majority of replicas hold it on disk.
    /// </summary>
    private static async Task<string> ReplicatedAsync(ReplicatedLabBank replicas, ScenarioResult result, Progress progress, TimeSpan duration, double? singlePerSecond)
    {
        var accounts = await BankLab.NewCustomersAsync(replicas, "tp-r", Clients + 1, 1_000_000_00000000).ConfigureAwait(false);
        progress.Step($"replicated bank ({replicas.Describe()}): the same {Clients} clients transfer for {duration.TotalSeconds:F0} s, following the leader");
        var conditions = BankLab.Conditions(await BankLab.WarmUpAsync(replicas, accounts, Clients).ConfigureAwait(false));
        var load = await BankLab.TransferLoadAsync(replicas, accounts, Clients, duration).ConfigureAwait(false);
        var p = Percentiles.Of(load.LatenciesMs, 0.5, 0.99);
        var rate = load.Rate;
        result.Replicated["transfers"] = load.Succeeded;
        result.Replicated["transfers_per_second"] = Math.Round(rate.PerSecond);
        result.Replicated["transfers_per_second_95ci"] = new[] { Math.Round(rate.Low), Math.Round(rate.High) };
        result.Replicated["p50_ms"] = Math.Round(p[0], 2);
        result.Replicated["p99_ms"] = Math.Round(p[1], 2);
        result.Replicated["latency_samples"] = load.LatenciesMs.Count;
        result.Replicated["replicas"] = replicas.Urls.Count;
        result.Replicated["conditions"] = conditions;
        result.Latencies.Add(LatencySeries.Percentiles(ScenarioResult.ReplicatedSystem, "transfer, final", load.LatenciesMs));
        var ratio = singlePerSecond is > 0 ? $" ({rate.PerSecond / singlePerSecond.Value:F2}× the single bank's, measured just before it; one run each, contrast scale alternates rounds)" : "";
        progress.Step($"replicated bank: {rate}{ratio}, final on reply; p50 {p[0]:F1} ms, p99 {p[1]:F1} ms");
        return $"{rate} durable transfers with {Clients} clients{ratio}; each final on reply once a majority of the {replicas.Urls.Count} replicas has it on disk: p50 {p[0]:F1} ms, p99 {p[1]:F1} ms of {load.LatenciesMs.Count:N0} requests";
    }
}
