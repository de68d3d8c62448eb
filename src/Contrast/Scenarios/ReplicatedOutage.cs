using System.Globalization;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Shared.Measurement;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// The replicated bank's half of the outage experiment: kill -9 the leader while a client that
/// follows the leader keeps transferring, restart the killed replica, wait until all have caught
/// up, and again. Measured: the failover each kill cost the client, the requests that failed, and
/// afterwards every acknowledged transfer looked up on every replica (lost = acknowledged but
/// missing from some replica's journal) and `bank audit` on each.
/// </summary>
public static class ReplicatedOutage
{
    public static async Task<string> RunAsync(ReplicatedLabBank bank, ScenarioResult result, Progress progress, int kills)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(progress);
        await bank.ConvergedAsync(progress).ConfigureAwait(false);
        progress.Step($"replicated bank ({bank.Describe()}): kill -9 the leader {kills} times while a client keeps transferring; after each kill, restart the killed replica and wait until every replica has caught up");
        var failovers = new List<double>();
        var leaders = new List<string>();
        IReadOnlyList<(double SentMs, double DoneMs, string Outcome)> requests;
        int acknowledged, missing;
        bool auditsPassed;
        IReadOnlyList<string> anchors;
        await using (var transfers = await ReplicatedTransfers.StartAsync(bank, "rout").ConfigureAwait(false))
        {
            var log = transfers.Log;
            for (var round = 1; round <= kills; round++)
            {
                var leader = await bank.LeaderAsync(progress).ConfigureAwait(false);
                var goingSince = log.Now;
                await progress.UntilAsync("the client's transfers succeeding before the kill", () => Task.FromResult(log.SucceededSince(goingSince)), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                var stopping = log.Now;
                LabNetwork.Kill(leader);
                var downAt = Math.Max(stopping, log.Entries.Where(e => e.Outcome == "ok").Select(e => e.SentMs).DefaultIfEmpty(stopping).Max());
                await progress.UntilAsync("a transfer sent after the kill succeeding on the next leader", () => Task.FromResult(log.SucceededSince(downAt)), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                var failover = log.DowntimeSince(downAt);
                failovers.Add(failover);
                leaders.Add(leader.Name);
                progress.Step(string.Create(CultureInfo.InvariantCulture, $"replicated bank: kill {round} of {kills}: leader {leader.Name} killed; the client's next success after {failover:F0} ms; restarting {leader.Name}"));
                bank.Restart(leader);
                await bank.ConvergedAsync(progress).ConfigureAwait(false);
            }
            requests = await transfers.StopAsync().ConfigureAwait(false);
            await bank.ConvergedAsync(progress).ConfigureAwait(false);
            (acknowledged, missing, auditsPassed, anchors) = await transfers.VerifyAsync(result, "the leader kills").ConfigureAwait(false);
        }
        var failures = requests.Where(r => r.Outcome != "ok").ToList();
        var p = Percentiles.Of(failovers, 0.5);
        result.Replicated["replicas"] = bank.Urls.Count;
        result.Replicated["leader_kills"] = kills;
        result.Replicated["killed_leaders"] = leaders;
        result.Replicated["failover_ms"] = failovers.Select(f => Math.Round(f)).ToList();
        result.Replicated["failover_p50_ms"] = Math.Round(p[0]);
        result.Replicated["failover_max_ms"] = Math.Round(failovers.Max());
        result.Replicated["failover_measured"] = "from the kill (or the last success sent before it) to the answer of the first transfer sent after it that succeeded";
        result.Replicated["attempts"] = requests.Count;
        result.Replicated["failed_attempts"] = failures.Count;
        result.Replicated["failure_reasons"] = failures.GroupBy(f => f.Outcome).ToDictionary(g => g.Key, g => g.Count());
        progress.Step(string.Create(CultureInfo.InvariantCulture,
            $"replicated bank: {kills} leader kills: failover p50 {p[0]:F0} ms, max {failovers.Max():F0} ms; {failures.Count} of {requests.Count} requests failed; {acknowledged} acknowledged transfers, {missing} missing on any replica; audit on all {bank.Urls.Count} replicas {(auditsPassed ? "passed" : "FAILED")}, {anchors.Count} anchor{(anchors.Count == 1 ? "" : "s")}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"no single point of failure while a majority lives: the leader was killed {kills} times under load and clients waited only for the next election — failover p50 {p[0]:F0} ms, max {failovers.Max():F0} ms (n={kills}); {Shared.Measurement.Proportion.Of(failures.Count, requests.Count)} of all requests failed meanwhile (1 client, one at a time); {missing} of {acknowledged} acknowledged transfers lost; every replica's audit passed with one anchor");
    }
}
