using LedgerContrast.Contrast.Lab;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using ChainState = LedgerContrast.Protos.Chain.V1.TransactionStatus.Types.State;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// Management overhead: how many copies of the ledger exist and what they weigh on disk, what a
/// backup is, and an upgrade done as operators do it — the bank restarted once (its clients see
/// the downtime), the chain's nodes restarted one at a time while payments go on (a client that
/// knows several nodes sees none) — counting the operator actions each took.
/// </summary>
public static class ManageScenario
{
    public static Task<ScenarioResult> RunAsync(LabNetwork lab) =>
        ScenarioResult.RunBothAsync(lab, "manage", "Management overhead", RunBankAsync, RunChainAsync, ReplicatedManage.RunAsync);

    private static async Task<string> RunBankAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        var bytes = DiskUsage.Of(lab.File.Bank!.DataDir);
        // What the total means: it holds every entry the experiments made, so compare per entry too.
        var entries = (await lab.RequireAdmin().AuditAsync(new Protos.Bank.V1.AuditRequest()).ConfigureAwait(false)).Entries;
        var perEntry = entries == 0 ? 0 : bytes / (double)entries;
        result.Bank["journal_entries"] = entries;
        result.Bank["bytes_per_journal_entry"] = Math.Round(perEntry);
        progress.Step($"bank: one copy of the ledger, {Mib(bytes)} on disk for {entries:N0} journal entries ({perEntry:N0} bytes each, indexes and idempotency keys included); upgrade = stop and start the one server while a client keeps transferring");
        var restart = await BankLab.RestartUnderLoadAsync(lab, progress, "mg", LabNetwork.Stop, TimeSpan.Zero).ConfigureAwait(false);
        var failed = restart.Failures.Count;
        foreach (var group in restart.Failures.GroupBy(f => f.Outcome))
        {
            progress.Refused("bank", group.Key, "a client's transfers while the bank was upgraded (stopped and started)", group.Count());
        }
        result.Bank["ledger_copies"] = 1;
        result.Bank["bytes_on_disk"] = bytes;
        result.Bank["backup"] = "copy the data directory, then `bank audit --data COPY` proves it (one file set, one place)";
        result.Bank["upgrade_operator_actions"] = 1;
        result.Bank["upgrade_downtime_seen_by_client_ms"] = Math.Round(restart.Downtime);
        result.Bank["upgrade_failed_client_requests"] = failed;
        result.Bank["client"] = BankLab.RestartClient;
        result.Expect(restart.Downtime > 0 && failed > 0 && restart.AuditOk, "bank: a restart of the only server went unnoticed by its client, or the audit failed");
        progress.Step($"bank: restarted in 1 action; the client saw {restart.Downtime / 1000:F1} s of downtime ({failed} requests failed); audit {(restart.AuditOk ? "passed" : "FAILED")}");
        return $"1 copy ({Mib(bytes)} for {entries:N0} journal entries — every transfer, deposit and reversal the lab made: {perEntry:N0} bytes an entry, its indexes and idempotency keys included); backup = one directory, checked by `bank audit`; an upgrade is 1 restart, and every client sees it: {restart.Downtime / 1000:F1} s of downtime";
    }

    private static async Task<string> RunChainAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        var bytes = lab.File.Nodes.Sum(n => DiskUsage.Of(n.DataDir));
        var (blocks, payments) = await ChainLab.StoredAsync(lab.Nodes[0]).ConfigureAwait(false);
        var perCopy = bytes / (double)lab.Nodes.Count;
        result.Chain["blocks_stored"] = blocks;
        result.Chain["payments_stored"] = payments;
        result.Chain["bytes_per_copy"] = Math.Round(perCopy);
        result.Chain["bytes_per_block_per_copy"] = Math.Round(perCopy / blocks);
        result.Chain["bytes_per_payment_per_copy"] = payments == 0 ? null : Math.Round(perCopy / payments);
        using var alice = lab.Wallets.Load("alice");
        using var bob = lab.Wallets.Load("bob");
        var first = lab.Nodes[0];
        var info = await ChainLab.InfoAsync(first).ConfigureAwait(false);
        var networkId = ChainLab.NetworkId(info);
        var coin = await ChainLab.WaitForCoinAsync(progress, first, alice).ConfigureAwait(false);
        const int Parts = 60;
        var split = ChainLab.Split(coin, alice, Parts, networkId);
        await ChainLab.SubmitAsync(first, split).ConfigureAwait(false);
        progress.Step($"chain: {lab.Nodes.Count} full copies of the ledger, {Mib(bytes)} on disk together; split a coin into {Parts} to pay with during the upgrade");
        await progress.UntilAsync("the split confirming", async () => (await ChainLab.StatusAsync(first, split.Txid).ConfigureAwait(false)).State == ChainState.Confirmed, TimeSpan.FromMinutes(5)).ConfigureAwait(false);

        // A wallet that knows every node: each payment goes to the first node that takes it.
        var accepted = new List<Hash256>();
        var refusedEverywhere = 0;
        await using var log = new RequestLog(async n =>
        {
            if (n >= Parts)
            {
                return "done";
            }
            var pay = ChainLab.Pay(new OutPoint(split.Txid, (uint)n), split.Outputs[n].Amount, alice, bob, networkId);
            foreach (var node in lab.Nodes)
            {
                try
                {
                    await ChainLab.SubmitAsync(node, pay).ConfigureAwait(false);
                    lock (accepted)
                    {
                        accepted.Add(pay.Txid);
                    }
                    return "ok";
                }
                catch (Grpc.Core.RpcException)
                {
                    // that node is down (or restarting): the wallet tries the next
                }
            }
            Interlocked.Increment(ref refusedEverywhere);
            return "no node took it";
        });
        foreach (var process in lab.File.Nodes.ToList())
        {
            progress.Step($"chain: upgrade {process.Name}: stop, start, wait until it is back on the common tip");
            LabNetwork.Stop(process);
            lab.Restart(process);
            var node = lab.Nodes.First(n => n.Name == process.Name);
            await progress.UntilAsync($"{process.Name} serving and caught up", async () =>
            {
                try
                {
                    var mine = await ChainLab.InfoAsync(node).ConfigureAwait(false);
                    var other = await ChainLab.InfoAsync(lab.Nodes.First(n => n != node)).ConfigureAwait(false);
                    return mine.Height >= other.Height && mine.PeerCount > 0;
                }
                catch (Grpc.Core.RpcException)
                {
                    return false;
                }
            }, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        }
        List<Hash256> sent;
        lock (accepted)
        {
            sent = [.. accepted];
        }
        await progress.UntilAsync("every payment made during the upgrade confirming", async () =>
        {
            foreach (var txid in sent)
            {
                if ((await ChainLab.StatusAsync(first, txid).ConfigureAwait(false)).State != ChainState.Confirmed)
                {
                    return false;
                }
            }
            return true;
        }, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        result.Chain["ledger_copies"] = lab.Nodes.Count;
        result.Chain["bytes_on_disk"] = bytes;
        result.Chain["backup"] = "none needed while any node lives: every node holds the whole chain, and a new node syncs it from its peers";
        result.Chain["upgrade_operator_actions"] = lab.Nodes.Count;
        result.Chain["upgrade_payments_made"] = sent.Count;
        result.Chain["upgrade_payments_no_node_took"] = refusedEverywhere;
        result.Chain["upgrade_payments_confirmed"] = sent.Count;
        result.Chain["client"] = "1 wallet knowing every node, one payment every 50 ms, to the first node that takes it";
        result.Expect(refusedEverywhere == 0 && sent.Count > 0, "chain: during the rolling upgrade some payment found no node to take it");
        progress.Step($"chain: {lab.Nodes.Count} restarts, one at a time; {sent.Count} payments made meanwhile, all confirmed; none refused by every node");
        return $"{lab.Nodes.Count} full copies ({Mib(bytes)}: {Mib((long)perCopy)} each for {blocks:N0} blocks holding {payments:N0} payments — {perCopy / blocks:N0} bytes a block{(payments > 0 ? $", {perCopy / payments:N0} a payment" : "")} in every copy, the database files' fixed size included: the blocks are nearly empty, so these fall as the chain grows); no backup needed while any node lives; an upgrade is {lab.Nodes.Count} restarts, one at a time, and clients that know several nodes see no downtime ({sent.Count} payments went on, all confirmed; {Shared.Measurement.Proportion.Of(refusedEverywhere, sent.Count + refusedEverywhere)} found no node to take them)";
    }

    internal static string Mib(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024.0:F1} MiB");
}
