using Grpc.Core;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.Ledger;

public class IdempotencyTests
{
    [Fact]
    public async Task A_retry_after_a_lost_reply_is_applied_once_and_answers_the_original_outcome()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var from = await bank.OpenAccountAsync(alice, 1_000);
        var to = await bank.OpenAccountAsync(alice);
        var request = new TransferRequest { FromAccountId = from, ToAccountId = to, Amount = 300, IdempotencyKey = "retry-1" };

        var first = await alice.Client.TransferAsync(request); // pretend this reply was lost on the way
        var retry = await alice.Client.TransferAsync(request);

        Assert.Equal(first, retry);
        Assert.Equal(700, await bank.BalanceAsync(from));
        Assert.Equal(300, await bank.BalanceAsync(to));
    }

    [Fact]
    public async Task A_retry_of_a_refused_request_gets_the_same_refusal_even_after_funds_arrive()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var from = await bank.OpenAccountAsync(alice, 10);
        var to = await bank.OpenAccountAsync(alice);
        var request = new TransferRequest { FromAccountId = from, ToAccountId = to, Amount = 50, IdempotencyKey = "refused-1" };

        Assert.Equal("INSUFFICIENT_FUNDS", (await Refusal.Of(() => alice.Client.TransferAsync(request))).Reason);
        await bank.Admin.DepositAsync(new CashRequest { AccountId = from, Amount = 100, IdempotencyKey = "funds-arrive" });
        Assert.Equal("INSUFFICIENT_FUNDS", (await Refusal.Of(() => alice.Client.TransferAsync(request))).Reason);
        Assert.Equal(110, await bank.BalanceAsync(from));
    }

    [Fact]
    public async Task The_same_key_with_different_parameters_is_refused()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var from = await bank.OpenAccountAsync(alice, 1_000);
        var to = await bank.OpenAccountAsync(alice);
        await alice.Client.TransferAsync(new TransferRequest { FromAccountId = from, ToAccountId = to, Amount = 1, IdempotencyKey = "k" });

        var refusal = await Refusal.Of(() => alice.Client.TransferAsync(new TransferRequest { FromAccountId = from, ToAccountId = to, Amount = 2, IdempotencyKey = "k" }));

        Assert.Equal((StatusCode.FailedPrecondition, "IDEMPOTENCY_KEY_REUSED"), (refusal.Status, refusal.Reason));
        Assert.Equal(999, await bank.BalanceAsync(from));
    }

    [Fact]
    public async Task A_request_that_fails_validation_does_not_consume_its_key()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var from = await bank.OpenAccountAsync(alice, 100);
        var to = await bank.OpenAccountAsync(alice);

        var typo = await Refusal.Of(() => alice.Client.TransferAsync(new TransferRequest { FromAccountId = from, ToAccountId = "acc-77", Amount = 5, IdempotencyKey = "fix-me" }));
        var corrected = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = from, ToAccountId = to, Amount = 5, IdempotencyKey = "fix-me" });

        Assert.Equal("ACCOUNT_NOT_FOUND", typo.Reason);
        Assert.Equal(5, corrected.ToBalance);
    }

    [Fact]
    public async Task Sixteen_concurrent_requests_with_one_key_execute_once()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var from = await bank.OpenAccountAsync(alice, 1_000);
        var to = await bank.OpenAccountAsync(alice);
        var request = new TransferRequest { FromAccountId = from, ToAccountId = to, Amount = 10, IdempotencyKey = "burst" };

        var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ => await alice.Client.TransferAsync(request)));

        Assert.Single(replies.Select(r => r.EntryId).Distinct());
        Assert.Equal(990, await bank.BalanceAsync(from));
        Assert.Equal(10, await bank.BalanceAsync(to));
    }

    [Fact]
    public async Task Keys_are_scoped_to_the_caller_so_two_customers_never_collide()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var bob = await bank.NewCustomerAsync("bob");
        var a = await bank.OpenAccountAsync(alice, 100);
        var b = await bank.OpenAccountAsync(bob, 100);

        var fromAlice = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 5, IdempotencyKey = "same" });
        var fromBob = await bob.Client.TransferAsync(new TransferRequest { FromAccountId = b, ToAccountId = a, Amount = 7, IdempotencyKey = "same" });

        Assert.NotEqual(fromAlice.EntryId, fromBob.EntryId);
        Assert.Equal(102, await bank.BalanceAsync(a));
    }
}
