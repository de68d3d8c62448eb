using System.Diagnostics;
using Grpc.Core;
using LedgerContrast.Contrast.Lab;
using ChainState = LedgerContrast.Protos.Chain.V1.TransactionStatus.Types.State;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// Reliability: kill the bank and every client fails until it is back (a single point of
/// failure); kill one node and the others keep accepting and confirming; kill the replicated
/// bank's leader again and again and its clients wait only for the next election.
/// </summary>
public static class OutageScenario
{
    public static readonly TimeSpan DownTime = TimeSpan.FromSeconds(3);

    /// <param name="leaderKills">How many times the replicated bank's leader is killed (if the network has one).</param>
    public static Task<ScenarioResult> RunAsync(LabNetwork lab, int leaderKills = 10) =>
        ScenarioResult.RunBothAsync(lab, "outage", "Reliability", RunBankAsync, RunChainAsync, (bank, result, progress) => ReplicatedOutage.RunAsync(bank, result, progress, leaderKills));

    private static async Task<string> RunBankAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        progress.Step($"bank: kill -9 the bank (pid {lab.File.Bank!.Pid}) while a client keeps transferring; restart it {DownTime.TotalSeconds:F0} s later");
        var restart = await BankLab.RestartUnderLoadAsync(lab, progress, "out", LabNetwork.Kill, DownTime).ConfigureAwait(false);
        var failures = restart.Failures;
        var keptDown = restart.RestartedAt - restart.DownAt;
        var startup = restart.ServingAt - restart.RestartedAt;
        result.Bank["attempts"] = restart.Requests.Count;
        result.Bank["failed_attempts"] = failures.Count;
        result.Bank["failure_reasons"] = failures.GroupBy(f => f.Outcome).ToDictionary(g => g.Key, g => g.Count());
        result.Bank["downtime_seen_by_client_ms"] = Math.Round(restart.Downtime);
        result.Bank["kept_down_ms"] = Math.Round(keptDown);
        result.Bank["restart_to_serving_ms"] = Math.Round(startup);
        result.Bank["client"] = BankLab.RestartClient;
        result.Bank["audit_after_restart_ok"] = restart.AuditOk;
        result.Expect(failures.Count > 0 && restart.AuditOk, "bank: clients did not fail during the outage, or the audit failed after it");
        // Sanity of the figure itself: at least the time the bank was kept down, at most that plus
        // its startup and one request's round (deadline 2 s, pause 50 ms) after it came back.
        result.Expect(restart.Downtime >= keptDown && restart.Downtime <= restart.ServingAt - restart.DownAt + 2_100,
            $"bank: the downtime figure {restart.Downtime:F0} ms is outside [{keptDown:F0}, {restart.ServingAt - restart.DownAt + 2_100:F0}] ms");
        // The claim is about requests sent while the server was down: from the first one that failed
        // after the kill (a kill takes a moment: one sent just after it may still be served) until
        // the first that succeeded again. Requests before and after are counted apart.
        var firstFailedAt = restart.Requests.Where(r => r.SentMs >= restart.DownAt && r.Outcome != "ok").Select(r => r.SentMs).DefaultIfEmpty(double.MaxValue).Min();
        var backAt = restart.Requests.Where(r => r.SentMs > firstFailedAt && r.Outcome == "ok").Select(r => r.SentMs).DefaultIfEmpty(double.MaxValue).Min();
        var whileDown = restart.Requests.Where(r => r.SentMs >= firstFailedAt && r.SentMs < backAt).ToList();
        var failedWhileDown = Shared.Measurement.Proportion.Of(whileDown.Count(r => r.Outcome != "ok"), whileDown.Count);
        result.Bank["sent_while_down"] = whileDown.Count;
        result.Bank["failed_while_down"] = failedWhileDown.Count;
        result.Bank["failed_while_down_95ci"] = new[] { Math.Round(failedWhileDown.Low, 3), Math.Round(failedWhileDown.High, 3) };
        foreach (var group in failures.GroupBy(f => f.Outcome))
        {
            progress.Refused("bank", group.Key, "a client's transfers while the bank was killed and restarted", group.Count());
        }
        result.Expect(failedWhileDown.Count == whileDown.Count, "bank: a request sent while the bank was down succeeded");
        progress.Step($"bank: {failures.Count} of {restart.Requests.Count} client requests failed ({failedWhileDown} of those sent while it was down); downtime seen by the client {restart.Downtime / 1000:F1} s (kept down {keptDown / 1000:F1} s, then {startup / 1000:F1} s to start); audit after restart: {(restart.AuditOk ? "passed" : "FAILED")}");
        return $"single point of failure: with the server down every request a client sent failed ({failedWhileDown} of the requests sent from the first failure after the kill to the first success after it; {restart.Requests.Count - whileDown.Count} more before and after, of which {failures.Count - failedWhileDown.Count} failed); clients saw {restart.Downtime / 1000:F1} s of downtime (the bank was kept down {keptDown / 1000:F1} s and took {startup / 1000:F1} s to start); nothing acknowledged was lost (audit passed)";
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
