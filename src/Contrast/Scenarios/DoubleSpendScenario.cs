using System.Diagnostics;
using Grpc.Core;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Measurement;
using LedgerContrast.Shared.Rpc;
using ChainState = LedgerContrast.Protos.Chain.V1.TransactionStatus.Types.State;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// Two spends of the same money at the same moment. The bank serialises them at its one ledger;
/// the chain lets each node keep the one it saw first until a block decides.
/// </summary>
public static class DoubleSpendScenario
{
    public static async Task<ScenarioResult> RunAsync(LabNetwork lab, int confirmations)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var result = new ScenarioResult("double-spend");
        var progress = new Progress("double-spend");
        var bankVerdict = lab.HasBank ? await RunBankAsync(lab, result, progress).ConfigureAwait(false) : "(no bank in this network)";
        var chainVerdict = await RunChainAsync(lab, result, progress, confirmations).ConfigureAwait(false);
        result.Verdicts.Add(new Verdict("Double spend", bankVerdict, chainVerdict));
        result.Seconds = progress.Elapsed.TotalSeconds;
        result.Steps.AddRange(progress.Steps);
        return result;
    }

    private static async Task<string> RunBankAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        var admin = lab.RequireAdmin();
        var decidedMs = 0d;
        foreach (var racers in new[] { 2, 32 })
        {
            var alice = await BankLab.NewCustomerAsync(lab, $"ds-alice-{racers}", 100_00000000).ConfigureAwait(false);
            progress.Step($"bank: a new customer {alice.Name} holds 100 (the network's alice is not touched); {racers} concurrent transfers of 100 to bob and carol");
            var bob = await BankLab.NewCustomerAsync(lab, $"ds-bob-{racers}", 0).ConfigureAwait(false);
            var carol = await BankLab.NewCustomerAsync(lab, $"ds-carol-{racers}", 0).ConfigureAwait(false);
            var outcomes = await BankLab.RaceTransfersAsync(lab, alice, [bob, carol], racers, 100_00000000).ConfigureAwait(false);
            var succeeded = outcomes.Count(o => o.Reason == "OK");
            var reasons = outcomes.Where(o => o.Reason != "OK").GroupBy(o => o.Reason).ToDictionary(g => g.Key, g => g.Count());
            var p50 = Percentiles.Of(outcomes.Select(o => o.Ms), 0.5)[0];
            var slowest = outcomes.Max(o => o.Ms); // of 2 or 32 answers, a "p99" would be this anyway
            var balance = (await admin.GetBalanceAsync(new GetBalanceRequest { AccountId = alice.AccountId })).Balance;
            result.Bank[$"racers_{racers}"] = new { racers, succeeded, rejections = reasons, p50_ms = p50, slowest_ms = slowest, alice_balance_after = balance };
            result.Latencies.Add(LatencySeries.Percentiles("bank", $"{racers} racing transfers", [.. outcomes.Select(o => o.Ms)]));
            result.Expect(succeeded == 1 && reasons.GetValueOrDefault("INSUFFICIENT_FUNDS") == racers - 1 && balance == 0,
                $"bank: {succeeded} of {racers} succeeded (expected exactly 1, the rest INSUFFICIENT_FUNDS)");
            decidedMs = Math.Max(decidedMs, slowest);
            foreach (var (reason, count) in reasons)
            {
                progress.Refused("bank", reason, $"{alice.Name}'s racing transfers of 100 (one of {racers} succeeded)", count);
            }
            progress.Step($"bank: {succeeded} succeeded, {racers - succeeded} refused ({string.Join(", ", reasons.Select(r => $"{r.Value}× {r.Key}"))}); slowest answer {slowest:F1} ms");
        }
        return $"exactly one of 2 (and of 32) concurrent transfers succeeded; the rest got INSUFFICIENT_FUNDS; decided within {decidedMs:F1} ms, for ever";
    }

    private static async Task<string> RunChainAsync(LabNetwork lab, ScenarioResult result, Progress progress, int k)
    {
        var nodes = lab.Nodes;
        var first = nodes[0];
        var second = nodes.Count > 1 ? nodes[1] : nodes[0];
        using var alice = lab.Wallets.Load("alice");
        using var bob = lab.Wallets.Load("bob");
        using var carol = lab.Wallets.Load("carol");
        var info = await ChainLab.InfoAsync(first).ConfigureAwait(false);
        var coin = await ChainLab.WaitForCoinAsync(progress, first, alice).ConfigureAwait(false);
        var toBob = ChainLab.Pay(coin, alice, bob, ChainLab.NetworkId(info));
        var toCarol = ChainLab.Pay(coin, alice, carol, ChainLab.NetworkId(info));
        progress.Step($"chain: alice's coin {ChainLab.Abbreviate(toBob.Inputs[0].PreviousOutput.Txid)}… signed twice: to bob ({ChainLab.Abbreviate(toBob.Txid)}) via {first.Name}, to carol ({ChainLab.Abbreviate(toCarol.Txid)}) via {second.Name}, at the same moment");

        var gun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        async Task<string> Submit(LabNode node, Shared.Chain.Transaction tx)
        {
            await gun.Task.ConfigureAwait(false);
            try
            {
                await ChainLab.SubmitAsync(node, tx).ConfigureAwait(false);
                return "accepted";
            }
            catch (RpcException ex)
            {
                return RpcErrors.Describe(ex).Reason;
            }
        }
        var submissions = new[] { Task.Run(() => Submit(first, toBob)), Task.Run(() => Submit(second, toCarol)) };
        gun.SetResult();
        var answers = await Task.WhenAll(submissions).ConfigureAwait(false);
        foreach (var (answer, (node, tx)) in answers.Zip(new[] { (first, toBob), (second, toCarol) }).Where(a => a.First != "accepted"))
        {
            progress.Refused("chain", answer, $"{node.Name}: {ChainLab.Abbreviate(tx.Txid)}, alice's second spend of one coin");
        }

        // Watch every node's view until the winner has k confirmations everywhere.
        var views = new List<object>();
        double? disagreementEndsMs = null, firstConfirmationMs = null, kConfirmationsMs = null;
        Hash256? winner = null;
        uint winnerHeight = 0;
        await progress.UntilAsync($"the winner reaching {k} confirmations on every node", async () =>
        {
            var snapshot = new List<(string Node, string Holds, ChainState Bob, ChainState Carol, uint Confirmations, Hash256? ConfirmedSpend)>();
            foreach (var node in nodes)
            {
                var pool = await ChainLab.MempoolAsync(node).ConfigureAwait(false);
                var bobStatus = await ChainLab.StatusAsync(node, toBob.Txid).ConfigureAwait(false);
                var carolStatus = await ChainLab.StatusAsync(node, toCarol.Txid).ConfigureAwait(false);
                var holds = pool.Contains(toBob.Txid) ? "bob" : pool.Contains(toCarol.Txid) ? "carol" : "-";
                var confirmed = bobStatus.State == ChainState.Confirmed ? bobStatus : carolStatus.State == ChainState.Confirmed ? carolStatus : null;
                Hash256? confirmedTx = confirmed is null ? null : confirmed == bobStatus ? toBob.Txid : toCarol.Txid;
                snapshot.Add((node.Name, holds, bobStatus.State, carolStatus.State, confirmed?.Confirmations ?? 0, confirmedTx));
                if (confirmed is not null && winner is null)
                {
                    winner = confirmedTx;
                    winnerHeight = confirmed.BlockHeight;
                }
            }
            var ms = clock.Elapsed.TotalMilliseconds;
            views.Add(new { at_ms = Math.Round(ms), nodes = snapshot.Select(s => new { node = s.Node, mempool_holds = s.Holds, bob = s.Bob.ToString(), carol = s.Carol.ToString(), confirmations = s.Confirmations }) });
            if (disagreementEndsMs is null && snapshot.Select(s => s.Holds).Distinct().Count() == 1 && snapshot.All(s => s.Holds != "-"))
            {
                disagreementEndsMs = ms;
            }
            if (firstConfirmationMs is null && snapshot.Any(s => s.Confirmations >= 1))
            {
                firstConfirmationMs = ms;
                progress.Step($"chain: first confirmation after {ms / 1000:F1} s: {(winner == toBob.Txid ? "bob" : "carol")} wins at height {winnerHeight}");
            }
            // Done when every node has the same spend k deep. The first confirmation may still be
            // undone: with blocks a second apart two miners can each confirm a different spend, and
            // the branch that grows first wins — a reorganisation the report names.
            if (kConfirmationsMs is null && snapshot.All(s => s.Confirmations >= k) && snapshot.Select(s => s.ConfirmedSpend).Distinct().Count() == 1)
            {
                kConfirmationsMs = ms;
                var final = snapshot[0].ConfirmedSpend;
                if (final != winner)
                {
                    progress.Step($"chain: a competing block was confirmed meanwhile and its branch grew first: {(final == toBob.Txid ? "bob" : "carol")} wins after a reorganisation");
                    winner = final;
                    winnerHeight = (await ChainLab.StatusAsync(nodes[0], final!.Value).ConfigureAwait(false)).BlockHeight;
                }
                return true;
            }
            return false;
        }, TimeSpan.FromMinutes(10)).ConfigureAwait(false);

        var loser = winner == toBob.Txid ? toCarol.Txid : toBob.Txid;
        var conflictedEverywhere = true;
        await progress.UntilAsync("every node reporting the loser as conflicted by the winner", async () =>
        {
            conflictedEverywhere = true;
            foreach (var node in nodes)
            {
                var status = await ChainLab.StatusAsync(node, loser).ConfigureAwait(false);
                conflictedEverywhere &= status.State == ChainState.Conflicted && ChainProto(status) == winner;
            }
            return conflictedEverywhere;
        }, TimeSpan.FromSeconds(30), async () =>
        {
            var states = new List<string>();
            foreach (var node in nodes)
            {
                var status = await ChainLab.StatusAsync(node, loser).ConfigureAwait(false);
                states.Add($"{node.Name}: {status.State} {Convert.ToHexStringLower(status.ConflictingTxid.Span)}");
            }
            return $"loser {loser}, winner {winner}; " + string.Join("; ", states);
        }).ConfigureAwait(false);
        progress.Step($"chain: {k} confirmations on all {nodes.Count} nodes after {kConfirmationsMs / 1000:F1} s; every node reports {ChainLab.Abbreviate(loser)} conflicted by {ChainLab.Abbreviate(winner!.Value)}");

        result.Chain["submissions"] = new { to_bob = new { node = first.Name, txid = toBob.Txid.ToString(), answer = answers[0] }, to_carol = new { node = second.Name, txid = toCarol.Txid.ToString(), answer = answers[1] } };
        result.Chain["winner"] = winner.ToString();
        result.Chain["winner_is"] = winner == toBob.Txid ? "bob" : "carol";
        result.Chain["loser"] = loser.ToString();
        result.Chain["mined_at_height"] = winnerHeight;
        result.Chain["time_to_first_confirmation_ms"] = firstConfirmationMs;
        result.Chain["time_to_k_confirmations_ms"] = kConfirmationsMs;
        result.Chain["k"] = k;
        result.Chain["loser_conflicted_on_every_node"] = conflictedEverywhere;
        result.Chain["mempool_views"] = views.Take(200).ToList();
        result.Latencies.Add(new LatencySeries("chain", $"{k} confirmations", firstConfirmationMs ?? 0, kConfirmationsMs ?? 0, "1st confirmation", $"{k}th"));
        result.Expect(conflictedEverywhere, "chain: some node does not report the loser as conflicted by the winner");
        return $"each node kept the spend it saw first ({answers[0]} / {answers[1]}); a block chose {(winner == toBob.Txid ? "bob" : "carol")} at height {winnerHeight} after {firstConfirmationMs / 1000:F1} s; {k} confirmations after {kConfirmationsMs / 1000:F1} s; the other is conflicted on all {nodes.Count} nodes";
    }

    private static Hash256? ChainProto(Protos.Chain.V1.TransactionStatus status) =>
        status.ConflictingTxid.IsEmpty ? null : Shared.Chain.ChainProto.HashFromProto(status.ConflictingTxid, "txid");
}
