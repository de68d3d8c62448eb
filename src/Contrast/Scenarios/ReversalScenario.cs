using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using ChainState = LedgerContrast.Protos.Chain.V1.TransactionStatus.Types.State;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>Governance: the bank's admin can reverse a fraudulent transfer (audited); on the chain nobody can.</summary>
public static class ReversalScenario
{
    public static async Task<ScenarioResult> RunAsync(LabNetwork lab, int confirmations)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var result = new ScenarioResult("reversal");
        var progress = new Progress("reversal");
        var bankVerdict = "(no bank in this network)";
        if (lab.HasBank)
        {
            var admin = lab.RequireAdmin();
            var alice = await BankLab.NewCustomerAsync(lab, "rv-alice", 500_00000000).ConfigureAwait(false);
            var mallory = await BankLab.NewCustomerAsync(lab, "rv-mallory", 0).ConfigureAwait(false);
            var fraud = await lab.Bank(alice.Token).TransferAsync(new TransferRequest { FromAccountId = alice.AccountId, ToAccountId = mallory.AccountId, Amount = 200_00000000, IdempotencyKey = Guid.NewGuid().ToString("N") });
            progress.Step($"bank: {alice.Name} (a new customer holding 500) is tricked into paying mallory 200 ({fraud.EntryId}); the admin reverses it");
            var reversal = await admin.ReverseAsync(new ReverseRequest { EntryId = fraud.EntryId, Reason = "fraud report from alice" });
            var aliceBalance = (await admin.GetBalanceAsync(new GetBalanceRequest { AccountId = alice.AccountId })).Balance;
            var malloryBalance = (await admin.GetBalanceAsync(new GetBalanceRequest { AccountId = mallory.AccountId })).Balance;
            var history = await admin.GetHistoryAsync(new GetHistoryRequest { AccountId = mallory.AccountId });
            var audit = await admin.AuditAsync(new AuditRequest());
            result.Bank["fraudulent_transfer"] = fraud.EntryId;
            result.Bank["reversal"] = reversal.EntryId;
            result.Bank["alice_balance_after"] = aliceBalance;
            result.Bank["mallory_balance_after"] = malloryBalance;
            result.Bank["both_entries_in_history"] = history.Postings.Any(p => p.EntryId == fraud.EntryId) && history.Postings.Any(p => p.EntryId == reversal.EntryId);
            result.Bank["audit_ok"] = audit.Ok;
            result.Expect(aliceBalance == 500_00000000 && malloryBalance == 0 && audit.Ok, "bank: the reversal did not restore both balances with a passing audit");
            progress.Step($"bank: reversed by {reversal.EntryId}; {alice.Name} back to 500, mallory 0; both entries in the history; audit {(audit.Ok ? "passed" : "FAILED")}");
            bankVerdict = $"the admin reversed {fraud.EntryId} with compensating entry {reversal.EntryId}; both balances restored, both entries in the audited hash-chained journal";
        }

        var node = lab.Nodes[0];
        using var alicesKey = lab.Wallets.Load("alice");
        using var mallorysKey = lab.Wallets.Load("carol");
        var info = await ChainLab.InfoAsync(node).ConfigureAwait(false);
        var coin = await ChainLab.WaitForCoinAsync(progress, node, alicesKey).ConfigureAwait(false);
        var fraudTx = ChainLab.Pay(coin, alicesKey, mallorysKey, ChainLab.NetworkId(info));
        await ChainLab.SubmitAsync(node, fraudTx).ConfigureAwait(false);
        progress.Step($"chain: alice is tricked into paying mallory ({ChainLab.Abbreviate(fraudTx.Txid)}); waiting for {confirmations} confirmations");
        await progress.UntilAsync($"{confirmations} confirmations", async () => (await ChainLab.StatusAsync(node, fraudTx.Txid).ConfigureAwait(false)).Confirmations >= confirmations, TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        var status = await ChainLab.StatusAsync(node, fraudTx.Txid).ConfigureAwait(false);
        result.Chain["fraudulent_payment"] = fraudTx.Txid.ToString();
        result.Chain["confirmations"] = status.Confirmations;
        result.Chain["reversal_operation"] = "none exists: the node API has no such call, and only the owner's key can sign a payment back";
        result.Expect(status.State == ChainState.Confirmed, "chain: the payment is not confirmed");
        progress.Step($"chain: {status.Confirmations} confirmations; there is no operation to undo it — only mallory could pay it back");
        result.Verdicts.Add(new Verdict("Governance", bankVerdict,
            $"nobody can: the payment {ChainLab.Abbreviate(fraudTx.Txid)}… stays confirmed ({status.Confirmations} confirmations); the rules are the code and only mallory's key could pay it back"));
        result.Seconds = progress.Elapsed.TotalSeconds;
        result.Steps.AddRange(progress.Steps);
        return result;
    }
}
