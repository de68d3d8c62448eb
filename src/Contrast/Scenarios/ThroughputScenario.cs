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
    public static async Task<ScenarioResult> RunAsync(LabNetwork lab, TimeSpan bankDuration, int chainPayments)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var result = new ScenarioResult("throughput");
        var progress = new Progress("throughput");
        var bankVerdict = "(no bank in this network)";
        if (lab.HasBank)
        {
            var accounts = new List<LabCustomer>();
            for (var i = 0; i < 16; i++)
            {
                accounts.Add(await BankLab.NewCustomerAsync(lab, $"tp-{i}", 1_000_000_00000000).ConfigureAwait(false));
            }
            progress.Step($"bank: 16 clients transfer for {bankDuration.TotalSeconds:F0} s");
            var latencies = new ConcurrentBag<double>();
            long ok = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(accounts.Select((from, i) => Task.Run(async () =>
            {
                var client = lab.Bank(from.Token);
                var to = accounts[(i + 1) % accounts.Count].AccountId;
                for (var n = 0; clock.Elapsed < bankDuration; n++)
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        await client.TransferAsync(new TransferRequest { FromAccountId = from.AccountId, ToAccountId = to, Amount = 1, IdempotencyKey = $"tp-{i}-{n}-{from.CustomerId}" });
                        Interlocked.Increment(ref ok);
                    }
                    catch (RpcException)
                    {
                    }
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }))).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;
            var p50p99 = Percentiles.Of(latencies, 0.5, 0.99);
            var (p50, p99) = (p50p99[0], p50p99[1]);
            result.Bank["transfers"] = ok;
            result.Bank["transfers_per_second"] = Math.Round(ok / seconds);
            result.Bank["p50_ms"] = Math.Round(p50, 2);
            result.Bank["p99_ms"] = Math.Round(p99, 2);
            result.Latencies.Add(new LatencySeries("bank", "transfer, final", p50, p99));
            progress.Step($"bank: {ok / seconds:F0} transfers/s, final on reply; p50 {p50:F1} ms, p99 {p99:F1} ms");
            bankVerdict = $"{ok / seconds:F0} durable transfers/s with 16 clients; each final on reply: p50 {p50:F1} ms, p99 {p99:F1} ms";
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
        var clock2 = Stopwatch.StartNew();
        foreach (var payment in payments)
        {
            await ChainLab.SubmitAsync(node, payment).ConfigureAwait(false);
            submitted[payment.Txid] = Stopwatch.GetTimestamp();
        }
        var submitSeconds = clock2.Elapsed.TotalSeconds;
        progress.Step($"chain: {chainPayments} payments accepted into the mempool in {submitSeconds:F2} s; waiting for confirmations");
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
        var c50c99 = Percentiles.Of(chainLatencies, 0.5, 0.99);
        var (c50, c99) = (c50c99[0], c50c99[1]);
        result.Chain["payments"] = chainPayments;
        result.Chain["mempool_acceptance_per_second"] = Math.Round(chainPayments / submitSeconds);
        result.Chain["confirmed_per_second"] = Math.Round(chainPayments / total, 1);
        result.Chain["confirmation_p50_ms"] = Math.Round(c50);
        result.Chain["confirmation_p99_ms"] = Math.Round(c99);
        result.Latencies.Add(new LatencySeries("chain", "payment, 1 confirmation", c50, c99));
        progress.Step($"chain: {chainPayments / total:F1} confirmed tx/s; first confirmation p50 {c50 / 1000:F1} s, p99 {c99 / 1000:F1} s");
        result.Verdicts.Add(new Verdict("Performance", bankVerdict,
            $"{chainPayments / submitSeconds:F0} tx/s into the mempool, but {chainPayments / total:F1} confirmed tx/s for this burst (bounded by block size × interval); first confirmation p50 {c50 / 1000:F1} s, p99 {c99 / 1000:F1} s"));
        result.Seconds = progress.Elapsed.TotalSeconds;
        return result;
    }
}
