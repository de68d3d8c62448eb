using Grpc.Core;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.Ledger;

/// <summary>What an attacker tries with ids and amounts, and what the audit must catch in a forged file.</summary>
public class IntegrityTests
{
    [Fact]
    public async Task A_transfer_named_with_leading_zeros_is_the_same_entry_and_is_not_reversed_twice()
    {
        await using var bank = await TestBank.StartAsync();
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000);
        var fraud = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 400, IdempotencyKey = "t" });
        await bank.Admin.DepositAsync(new CashRequest { AccountId = b, Amount = 1_000, IdempotencyKey = "bob-has-money-again" });
        var padded = "e-0" + fraud.EntryId[2..];

        var reversal = await bank.Admin.ReverseAsync(new ReverseRequest { EntryId = fraud.EntryId });
        var again = await Refusal.Of(() => bank.Admin.ReverseAsync(new ReverseRequest { EntryId = padded }));
        var forced = await Refusal.Of(() => bank.Admin.ReverseAsync(new ReverseRequest { EntryId = "e-00" + fraud.EntryId[2..], Force = true }));

        Assert.Equal(("ALREADY_REVERSED", "ALREADY_REVERSED"), (again.Reason, forced.Reason));
        Assert.Contains($"Entry {fraud.EntryId} was already reversed by {reversal.EntryId}", again.Message);
        Assert.Equal(1_000, await bank.BalanceAsync(a));
        Assert.Equal(1_000, await bank.BalanceAsync(b));
        Assert.True((await bank.AuditAsync()).Ok);
    }

    [Fact]
    public async Task The_audit_fails_a_journal_in_which_one_transfer_is_reversed_twice()
    {
        await using var bank = await TestBank.StartAsync();
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000, 1_000);
        var fraud = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 400, IdempotencyKey = "t" });
        await bank.Admin.ReverseAsync(new ReverseRequest { EntryId = fraud.EntryId });
        await bank.StopAsync();

        // A second, perfectly linked and balanced reversal of the same transfer.
        using (var forger = new JournalForger(bank.DataDirectory))
        {
            forger.Append(EntryKinds.Reversal, [(b, -400), (a, 400)], reverses: fraud.EntryId);
        }

        var audit = await BankProcess.RunCliAsync(["audit", "--data", bank.DataDirectory, "--json"]);
        Assert.Equal(1, audit.ExitCode);
        Assert.Contains($"entry {fraud.EntryId} is reversed twice", audit.Stdout);
    }

    [Fact]
    public async Task A_deposit_that_would_wrap_the_cash_account_is_refused_and_nothing_is_written()
    {
        await using var bank = await TestBank.StartAsync();
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(long.MaxValue);
        var entriesBefore = (await bank.AuditAsync()).Entries;

        var refused = await Refusal.Of(() => bank.Admin.DepositAsync(new CashRequest { AccountId = b, Amount = 2, IdempotencyKey = "wrap" }));

        Assert.Equal((StatusCode.FailedPrecondition, "BALANCE_OVERFLOW"), (refused.Status, refused.Reason));
        Assert.Contains("@cash", refused.Message);
        Assert.Equal(0, await bank.BalanceAsync(b));
        var audit = await bank.AuditAsync();
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
        Assert.Equal(entriesBefore, audit.Entries);
        // And the customer's money still moves: nothing was left half-written.
        await bank.Admin.WithdrawAsync(new CashRequest { AccountId = a, Amount = 1, IdempotencyKey = "still-works" });
        Assert.Equal(long.MaxValue - 1, await bank.BalanceAsync(a));
    }

    [Fact]
    public async Task The_audit_fails_a_crafted_file_whose_cash_account_wrapped()
    {
        await using var bank = await TestBank.StartAsync();
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(long.MaxValue);
        await bank.StopAsync();

        // What the old writer did: @cash goes from −(2^63−1) past the bottom and wraps to a large positive.
        using (var forger = new JournalForger(bank.DataDirectory))
        {
            forger.Append(EntryKinds.Deposit, [("@cash", -2), (b, 2)]);
        }

        var audit = await BankProcess.RunCliAsync(["audit", "--data", bank.DataDirectory, "--json"]);
        Assert.Equal(1, audit.ExitCode);
        Assert.Contains("account @cash", audit.Stdout);
        Assert.Contains("outside the 64-bit range", audit.Stdout);
    }

    [Fact]
    public async Task A_deposit_or_withdrawal_without_an_idempotency_key_is_refused_so_a_retry_cannot_apply_it_twice()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var a = await bank.OpenAccountAsync(alice, 100);

        var deposit = await Refusal.Of(() => bank.Admin.DepositAsync(new CashRequest { AccountId = a, Amount = 5 }));
        var withdrawal = await Refusal.Of(() => bank.Admin.WithdrawAsync(new CashRequest { AccountId = a, Amount = 5 }));

        Assert.Equal(("INVALID_ARGUMENT", "INVALID_ARGUMENT"), (deposit.Reason, withdrawal.Reason));
        Assert.Contains("idempotency key", deposit.Message);
        Assert.Equal(100, await bank.BalanceAsync(a));
    }

    [Fact]
    public async Task Names_and_reasons_with_bidi_overrides_or_terminal_escapes_are_refused()
    {
        await using var bank = await TestBank.StartAsync();
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(100);
        var paid = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 10, IdempotencyKey = "p" });

        var refusals = new[]
        {
            await Refusal.Of(() => bank.Admin.CreateCustomerAsync(new CreateCustomerRequest { Name = "alice\u202Eexe.gnp" })),
            await Refusal.Of(() => bank.Admin.CreateCustomerAsync(new CreateCustomerRequest { Name = "zero\u200Bwidth" })),
            await Refusal.Of(() => bank.Admin.ReverseAsync(new ReverseRequest { EntryId = paid.EntryId, Reason = "fraud\u001b[2J" })),
            await Refusal.Of(() => bank.Admin.ReverseAsync(new ReverseRequest { EntryId = paid.EntryId, Reason = "nul\0byte" })),
        };

        Assert.All(refusals, r => Assert.Equal((StatusCode.InvalidArgument, "INVALID_ARGUMENT"), (r.Status, r.Reason)));
        Assert.Equal(10, await bank.BalanceAsync(b));
        await bank.NewCustomerAsync("Zoë Ñúñez 李"); // letters of any script are welcome; only invisible ones are not
    }
}
