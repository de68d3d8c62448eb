using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using LedgerContrast.Contrast.Emulation;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// The replicated bank's half of partition --emulate: the switch drops every packet between the
/// Raft leader and the other replicas (the clients reach both sides). The cut-off leader is asked
/// for a deposit it cannot commit — no majority will store it — while the majority elects a new
/// leader and a client that follows the leader carries on there. After the heal the old leader
/// rejoins as a follower: the deposit it was asked for is in no ledger, every acknowledged
/// transfer is on every replica, and every replica's audit ends at one anchor.
/// </summary>
public static class ReplicatedPartition
{
    public static async Task<string> RunAsync(ReplicatedLabBank bank, NetworkFile.NetworkEmulation emulation, ScenarioResult result, Progress progress)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(emulation);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(progress);
        await bank.ConvergedAsync(progress).ConfigureAwait(false);
        var leader = await bank.LeaderAsync(progress).ConfigureAwait(false);
        var term = (await bank.StatusAsync().ConfigureAwait(false)).First(s => s.Process.Name == leader.Name).Status!.Term;
        var majority = bank.Processes.Where(p => p.Name != leader.Name).ToList();
        var depositee = await BankLab.NewCustomerAsync(bank, "rpart-dora", 0).ConfigureAwait(false);
        string asked;
        double electedAfterMs;
        string newLeader;
        await using (var transfers = await ReplicatedTransfers.StartAsync(bank, "rpart").ConfigureAwait(false))
        {
            var log = transfers.Log;
            var going = log.Now;
            await progress.UntilAsync("the client's transfers succeeding before the partition", () => Task.FromResult(log.SucceededSince(going)), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            progress.Step($"replicated bank: partition: {leader.Name} (the leader, term {term}) | {string.Join(",", majority.Select(p => p.Name))} (the switch drops every packet between them; the clients reach both sides)");
            var cut = Stopwatch.StartNew();
            var cutAt = log.Now;
            EmulatedNetwork.Cut(emulation, [leader.Name], [.. majority.Select(p => p.Name)]);
            try
            {
                // The cut-off leader cannot have a majority store the entry: it never acknowledges it.
                try
                {
                    await bank.Direct(leader.Url).DepositAsync(new CashRequest { AccountId = depositee.AccountId, Amount = 5_00000000, IdempotencyKey = "rpart-cut-off" }, deadline: LabNode.Deadline(5)).ConfigureAwait(false);
                    asked = "acknowledged";
                }
                catch (RpcException ex)
                {
                    asked = RpcErrors.Describe(ex).Reason;
                }
                progress.Step($"replicated bank: the cut-off leader {leader.Name}, asked for a deposit, answered {asked}: it cannot commit without a majority");
                NetworkFile.NetworkProcess? elected = null;
                await progress.UntilAsync("the majority electing a new leader", async () =>
                {
                    var statuses = await bank.StatusAsync().ConfigureAwait(false);
                    elected = statuses.FirstOrDefault(s => s.Process.Name != leader.Name && s.Status is { Role: "leader" } st && st.Term > term).Process;
                    return elected is not null;
                }, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                electedAfterMs = cut.Elapsed.TotalMilliseconds;
                newLeader = elected!.Name;
                await progress.UntilAsync("the client's transfers succeeding on the majority's leader", () => Task.FromResult(log.SucceededSince(cutAt + electedAfterMs)), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                progress.Step(string.Create(CultureInfo.InvariantCulture, $"replicated bank: {newLeader} leads the majority {electedAfterMs:F0} ms after the cut; the client's transfers go on there"));
            }
            finally
            {
                EmulatedNetwork.Heal(emulation);
            }
            progress.Step("replicated bank: heal (the switch forwards between the replicas again)");
            await transfers.StopAsync().ConfigureAwait(false);
            await bank.ConvergedAsync(progress).ConfigureAwait(false);
            var (acknowledged, missing, passed, anchors) = await transfers.VerifyAsync(result, "the leader's partition").ConfigureAwait(false);
            var balances = await Task.WhenAll(bank.Urls.Select(u => bank.Direct(u).GetBalanceAsync(new GetBalanceRequest { AccountId = depositee.AccountId, StaleOk = true }, deadline: LabNode.Deadline()).ResponseAsync)).ConfigureAwait(false);
            var deposited = balances.Any(b => b.Balance != 0);
            result.Replicated["cut_off_leader"] = leader.Name;
            result.Replicated["cut_off_leader_answer"] = asked;
            result.Replicated["new_leader"] = newLeader;
            result.Replicated["new_leader_elected_after_ms"] = Math.Round(electedAfterMs);
            result.Replicated["unacknowledged_deposit_in_a_ledger"] = deposited;
            result.Expect(asked != "acknowledged", $"replicated bank: the leader cut off from its majority acknowledged a deposit ({asked})");
            result.Expect(!deposited, "replicated bank: the deposit the cut-off leader never acknowledged is in a replica's ledger after the heal");
            progress.Step(string.Create(CultureInfo.InvariantCulture,
                $"replicated bank: after the heal {leader.Name} follows {newLeader}; the deposit it was asked for is in {(deposited ? "a" : "no")} ledger; {acknowledged} acknowledged transfers, {missing} missing on any replica; audit {(passed ? "passed" : "FAILED")} on all {bank.Urls.Count}, {anchors.Count} anchor{(anchors.Count == 1 ? "" : "s")}"));
            return string.Create(CultureInfo.InvariantCulture,
                $"consistent under a partition: the leader cut off from its majority could not commit (a deposit asked of it: {asked}, and in no ledger after the heal); the majority elected {newLeader} {electedAfterMs:F0} ms after the cut and clients that reached it carried on; after the heal {missing} of {acknowledged} acknowledged transfers were missing and every replica's audit ended at {anchors.Count} anchor{(anchors.Count == 1 ? "" : "s")}");
        }
    }
}
