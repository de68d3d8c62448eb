using System.Diagnostics;
using Grpc.Core;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Cli;
using ChainState = LedgerContrast.Protos.Chain.V1.TransactionStatus.Types.State;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// Reliability: kill the bank and every client fails until it is back (a single point of
/// failure); kill one node and the others keep accepting and confirming.
/// </summary>
public static class OutageScenario
{
    public static readonly TimeSpan DownTime = TimeSpan.FromSeconds(3);

    public static Task<ScenarioResult> RunAsync(LabNetwork lab) =>
        ScenarioResult.RunBothAsync(lab, "outage", "Reliability", RunBankAsync, RunChainAsync);

    private static async Task<string> RunBankAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        var alice = await BankLab.NewCustomerAsync(lab, "out-alice", 1_000_00000000).ConfigureAwait(false);
        var bob = await BankLab.NewCustomerAsync(lab, "out-bob", 0).ConfigureAwait(false);
        var client = lab.Bank(alice.Token);
        var bankProcess = lab.File.Bank!;
        progress.Step($"bank: kill -9 the bank (pid {bankProcess.Pid}) while a client keeps transferring");
        await using var log = new RequestLog(n => BankLab.TransferOutcomeAsync(client, alice, bob, $"outage-{n}-{Guid.NewGuid():N}"));
        await Task.Delay(500).ConfigureAwait(false);
        LabNetwork.Kill(bankProcess);
        // Only once the process is gone: a request sent while the signal is on its way may still be served.
        var killedAt = log.Now;
        await Task.Delay(DownTime).ConfigureAwait(false);
        progress.Step("bank: restart it");
        var restartedAt = log.Now;
        lab.Restart(bankProcess);
        await progress.UntilAsync("the bank serving again", async () => await HealthProbe.IsServingAsync(bankProcess.Url, TimeSpan.FromSeconds(1)).ConfigureAwait(false), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var servingAt = log.Now;
        await progress.UntilAsync("a client transfer sent after the kill succeeding", () => Task.FromResult(log.SucceededSince(killedAt)), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var seen = log.Entries;
        var failures = seen.Where(a => a.Outcome != "ok").ToList();
        // From the kill to the answer of the first request sent after it that succeeded: what a
        // client lived through. It cannot be shorter than the time the bank was down.
        var downtime = log.DowntimeSince(killedAt);
        var startup = servingAt - restartedAt;
        var audit = await lab.RequireAdmin().AuditAsync(new AuditRequest()).ConfigureAwait(false);
        result.Bank["attempts"] = seen.Count;
        result.Bank["failed_attempts"] = failures.Count;
        result.Bank["failure_reasons"] = failures.GroupBy(f => f.Outcome).ToDictionary(g => g.Key, g => g.Count());
        result.Bank["downtime_seen_by_client_ms"] = Math.Round(downtime);
        result.Bank["kept_down_ms"] = Math.Round(restartedAt - killedAt);
        result.Bank["restart_to_serving_ms"] = Math.Round(startup);
        result.Bank["client"] = "1 client, one transfer at a time, 50 ms apart, 2 s deadline";
        result.Bank["audit_after_restart_ok"] = audit.Ok;
        result.Expect(failures.Count > 0 && audit.Ok, "bank: clients did not fail during the outage, or the audit failed after it");
        // Sanity of the figure itself: at least the time the bank was kept down, at most that plus
        // its startup and one request's round (deadline 2 s, pause 50 ms) after it came back.
        result.Expect(downtime >= restartedAt - killedAt && downtime <= servingAt - killedAt + 2_100,
            $"bank: the downtime figure {downtime:F0} ms is outside [{restartedAt - killedAt:F0}, {servingAt - killedAt + 2_100:F0}] ms");
        progress.Step($"bank: {failures.Count} of {seen.Count} client requests failed; downtime seen by the client {downtime / 1000:F1} s (kept down {(restartedAt - killedAt) / 1000:F1} s, then {startup / 1000:F1} s to start); audit after restart: {(audit.Ok ? "passed" : "FAILED")}");
        return $"single point of failure: with the server down every client request failed ({failures.Count} of {seen.Count}); clients saw {downtime / 1000:F1} s of downtime (the bank was kept down {(restartedAt - killedAt) / 1000:F1} s and took {startup / 1000:F1} s to start); nothing acknowledged was lost (audit passed)";
    }

    private static async Task<string> RunChainAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        var victim = lab.File.Nodes[^1];
        var survivors = lab.Nodes.Take(lab.Nodes.Count - 1).ToList();
        using var alice = lab.Wallets.Load("alice");
        using var bob = lab.Wallets.Load("bob");
        progress.Step($"chain: kill -9 {victim.Name} (pid {victim.Pid})");
        LabNetwork.Kill(victim);
        var info = await ChainLab.InfoAsync(survivors[0]).ConfigureAwait(false);
        var coin = await ChainLab.WaitForCoinAsync(progress, survivors[0], alice).ConfigureAwait(false);
        var pay = ChainLab.Pay(coin, alice, bob, ChainLab.NetworkId(info));
        var clock = Stopwatch.StartNew();
        await ChainLab.SubmitAsync(survivors[0], pay).ConfigureAwait(false);
        await progress.UntilAsync("the payment confirming on the surviving nodes", async () =>
        {
            foreach (var node in survivors)
            {
                if ((await ChainLab.StatusAsync(node, pay.Txid).ConfigureAwait(false)).State != ChainState.Confirmed)
                {
                    return false;
                }
            }
            return true;
        }, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        var confirmedMs = clock.Elapsed.TotalMilliseconds;
        progress.Step($"chain: with {victim.Name} down, the others accepted and confirmed a payment in {confirmedMs / 1000:F1} s; restarting {victim.Name}");
        lab.Restart(victim);
        var victimNode = lab.Nodes[^1];
        var rejoin = Stopwatch.StartNew();
        await progress.UntilAsync($"{victim.Name} catching up", async () =>
        {
            try
            {
                var status = await ChainLab.StatusAsync(victimNode, pay.Txid).ConfigureAwait(false);
                return status.State == ChainState.Confirmed;
            }
            catch (RpcException)
            {
                return false;
            }
        }, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        result.Chain["stopped_node"] = victim.Name;
        result.Chain["confirmed_without_it_ms"] = Math.Round(confirmedMs);
        result.Chain["restarted_node_caught_up_ms"] = Math.Round(rejoin.Elapsed.TotalMilliseconds);
        progress.Step($"chain: {victim.Name} restarted and caught up in {rejoin.Elapsed.TotalSeconds:F1} s");
        return $"no single point of failure: with {victim.Name} killed, the other {survivors.Count} kept accepting and confirmed a payment in {confirmedMs / 1000:F1} s; the restarted node caught up in {rejoin.Elapsed.TotalSeconds:F1} s";
    }
}
