using System.Globalization;
using LedgerContrast.Contrast.Lab;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// The replicated bank's half of the management experiment: as many ledger copies as replicas,
/// and an upgrade done as operators of a Raft cluster do it — a rolling restart, followers first
/// and the leader last (one election instead of up to one per replica), each replica stopped
/// gracefully (SIGTERM), started again and caught up before the next, while a client that
/// follows the leader keeps transferring. Measured: requests refused during the upgrade (the
/// goal is 0), the longest any request waited, and every acknowledged transfer on every replica.
/// </summary>
public static class ReplicatedManage
{
    public static async Task<string> RunAsync(ReplicatedLabBank bank, ScenarioResult result, Progress progress)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(progress);
        await bank.ConvergedAsync(progress).ConfigureAwait(false);
        var bytes = bank.Processes.Sum(p => DiskUsage.Of(p.DataDir));
        var leader = await bank.LeaderAsync(progress).ConfigureAwait(false);
        var order = bank.Processes.Where(p => p.Name != leader.Name).Append(leader).ToList();
        progress.Step($"replicated bank: {bank.Processes.Count} copies of the ledger, {ManageScenario.Mib(bytes)} on disk together; rolling upgrade, followers first and the leader ({leader.Name}) last, while a client keeps transferring");
        IReadOnlyList<(double SentMs, double DoneMs, string Outcome)> requests;
        int acknowledged, missing;
        bool auditsPassed;
        IReadOnlyList<string> anchors;
        var leaders = new List<string>();
        var steps = new List<(string Replica, double AtMs)>();
        await using (var transfers = await ReplicatedTransfers.StartAsync(bank, "rmg").ConfigureAwait(false))
        {
            var log = transfers.Log;
            foreach (var replica in order)
            {
                var goingSince = log.Now;
                await progress.UntilAsync("the client's transfers succeeding", () => Task.FromResult(log.SucceededSince(goingSince)), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                var current = bank.Processes.First(p => p.Name == replica.Name);
                progress.Step($"replicated bank: upgrade {current.Name}: stop (SIGTERM), start, wait until every replica has caught up");
                steps.Add((current.Name, log.Now));
                LabNetwork.Stop(current);
                bank.Restart(current);
                await bank.ConvergedAsync(progress).ConfigureAwait(false);
                leaders.Add((await bank.LeaderAsync(progress).ConfigureAwait(false)).Name);
            }
            var after = log.Now;
            await progress.UntilAsync("a transfer succeeding after the upgrade", () => Task.FromResult(log.SucceededSince(after)), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            requests = await transfers.StopAsync().ConfigureAwait(false);
            await bank.ConvergedAsync(progress).ConfigureAwait(false);
            (acknowledged, missing, auditsPassed, anchors) = await transfers.VerifyAsync(result, "the rolling upgrade").ConfigureAwait(false);
        }
        var refused = requests.Where(r => r.Outcome != "ok").ToList();
        var longest = requests.Where(r => r.Outcome == "ok").Select(r => r.DoneMs - r.SentMs).DefaultIfEmpty(0).Max();
        // Per step: the longest any request sent during it waited (stopping a follower should cost nothing; the leader, one election).
        var perStep = steps.Select((step, i) =>
        {
            var end = i + 1 < steps.Count ? steps[i + 1].AtMs : double.MaxValue;
            return (step.Replica, Longest: requests.Where(r => r.SentMs >= step.AtMs && r.SentMs < end).Select(r => r.DoneMs - r.SentMs).DefaultIfEmpty(0).Max());
        }).ToList();
        result.Replicated["ledger_copies"] = bank.Processes.Count;
        result.Replicated["bytes_on_disk"] = bytes;
        result.Replicated["backup"] = "each replica is a full copy kept current by the log; a lost replica is replaced by copying a healthy one's data directory (docs/BANK.md)";
        result.Replicated["upgrade_order"] = order.Select(p => p.Name).ToList();
        result.Replicated["leader_after_each_step"] = leaders;
        result.Replicated["upgrade_operator_actions"] = order.Count;
        result.Replicated["upgrade_requests"] = requests.Count;
        result.Replicated["upgrade_refused_client_requests"] = refused.Count;
        result.Replicated["upgrade_refusal_reasons"] = refused.GroupBy(f => f.Outcome).ToDictionary(g => g.Key, g => g.Count());
        result.Replicated["upgrade_longest_request_ms"] = Math.Round(longest);
        result.Replicated["upgrade_longest_request_ms_per_step"] = perStep.ToDictionary(p => p.Replica, p => Math.Round(p.Longest));
        progress.Step(string.Create(CultureInfo.InvariantCulture,
            $"replicated bank: {order.Count} restarts, one at a time; {refused.Count} of {requests.Count} requests refused, the longest waited {longest:F0} ms (per step: {string.Join(", ", perStep.Select(p => $"{p.Replica} {p.Longest:F0} ms"))}); {acknowledged} acknowledged, {missing} missing on any replica; audit on all {bank.Urls.Count} replicas {(auditsPassed ? "passed" : "FAILED")}, {anchors.Count} anchor{(anchors.Count == 1 ? "" : "s")}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"{bank.Processes.Count} copies ({ManageScenario.Mib(bytes)}), kept identical by the log (one audit anchor); an upgrade is {order.Count} restarts, one at a time, leader last: {Shared.Measurement.Proportion.Of(refused.Count, requests.Count)} of a client's requests refused (one at a time), the longest waited {longest:F0} ms (one election)");
    }
}
