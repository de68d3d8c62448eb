using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.Ledger;

/// <summary>Governance: the admin can undo a fraudulent transfer — once, audited, visible to both sides.</summary>
public class ReversalTests
{
    [Fact]
    public async Task A_reversal_restores_both_balances_once_and_both_entries_are_in_the_history()
    {
        await using var bank = await TestBank.StartAsync();
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000);
        var fraud = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 400, IdempotencyKey = "phished" });

        var reversal = await bank.Admin.ReverseAsync(new ReverseRequest { EntryId = fraud.EntryId, Reason = "phishing report #7" });
        var again = await Refusal.Of(() => bank.Admin.ReverseAsync(new ReverseRequest { EntryId = fraud.EntryId }));

        Assert.Equal(1_000, await bank.BalanceAsync(a));
        Assert.Equal(0, await bank.BalanceAsync(b));
        Assert.Equal("ALREADY_REVERSED", again.Reason);
        Assert.Contains(reversal.EntryId, again.Message);
        var history = await bob.Client.GetHistoryAsync(new GetHistoryRequest { AccountId = b });
        Assert.Equal([reversal.EntryId, fraud.EntryId], history.Postings.Select(p => p.EntryId));
        Assert.Equal(fraud.EntryId, history.Postings[0].ReversesEntryId);
        Assert.True((await bank.AuditAsync()).Ok);
    }

    [Fact]
    public async Task A_reversal_is_refused_when_the_receiver_spent_the_money_unless_the_bank_covers_it()
    {
        await using var bank = await TestBank.StartAsync();
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000);
        var fraud = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 400, IdempotencyKey = "t" });
        await bank.Admin.WithdrawAsync(new CashRequest { AccountId = b, Amount = 300, IdempotencyKey = "cash-out" }); // bob cashed out

        var refused = await Refusal.Of(() => bank.Admin.ReverseAsync(new ReverseRequest { EntryId = fraud.EntryId }));
        Assert.Equal("REVERSAL_INSUFFICIENT_FUNDS", refused.Reason);
        Assert.Equal(600, await bank.BalanceAsync(a));

        await bank.Admin.ReverseAsync(new ReverseRequest { EntryId = fraud.EntryId, Force = true, Reason = "bank covers" });

        Assert.Equal(1_000, await bank.BalanceAsync(a));
        Assert.Equal(0, await bank.BalanceAsync(b)); // never negative: the write-off account took the 300
        var audit = await bank.AuditAsync();
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
        Assert.Equal(1_000, audit.TotalBalances);
        Assert.Equal(700, audit.Issued); // deposits − withdrawals; the 300 difference is the bank's write-off
    }
}
