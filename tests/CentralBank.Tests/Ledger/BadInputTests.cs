using Grpc.Core;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.Ledger;

/// <summary>Bad input gets a precise reason and writes nothing.</summary>
public class BadInputTests
{
    [Fact]
    public async Task Each_bad_request_is_refused_by_name_and_nothing_is_written()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var from = await bank.OpenAccountAsync(alice, 1_000);
        var to = await bank.OpenAccountAsync(alice);
        var entriesBefore = (await bank.AuditAsync()).Entries;

        Task<(StatusCode, string, string)> Transfer(string f, string t, long amount, string? key = null) =>
            Refusal.Of(() => alice.Client.TransferAsync(new TransferRequest { FromAccountId = f, ToAccountId = t, Amount = amount, IdempotencyKey = key ?? Guid.NewGuid().ToString("N") }));

        var cases = new (string Expected, Task<(StatusCode Status, string Reason, string Message)> Call)[]
        {
            ("INVALID_AMOUNT", Transfer(from, to, 0)),
            ("INVALID_AMOUNT", Transfer(from, to, -5)),
            ("SAME_ACCOUNT", Transfer(from, from, 5)),
            ("ACCOUNT_NOT_FOUND", Transfer(from, "acc-999", 5)),
            ("ACCOUNT_NOT_FOUND", Transfer("acc-999", to, 5)),
            ("ACCOUNT_NOT_FOUND", Transfer(from, "@cash", 5)),
            ("ACCOUNT_NOT_FOUND", Transfer(from, new string('a', 10_000), 5)),
            ("INVALID_ARGUMENT", Transfer(from, to, 5, key: new string('k', 129))),
            ("INVALID_ARGUMENT", Transfer(from, to, 5, key: "has space")),
            ("INVALID_ARGUMENT", Transfer(from, to, 5, key: "")),
            ("INVALID_ARGUMENT", Refusal.Of(() => bank.Admin.CreateCustomerAsync(new CreateCustomerRequest { Name = new string('n', 101) }))),
            ("INVALID_ARGUMENT", Refusal.Of(() => bank.Admin.CreateCustomerAsync(new CreateCustomerRequest { Name = "  " }))),
            ("CUSTOMER_NOT_FOUND", Refusal.Of(() => bank.Admin.OpenAccountAsync(new OpenAccountRequest { CustomerId = "cus-404" }))),
            ("INVALID_AMOUNT", Refusal.Of(() => bank.Admin.DepositAsync(new CashRequest { AccountId = to, Amount = 0 }))),
            ("INSUFFICIENT_FUNDS", Refusal.Of(() => bank.Admin.WithdrawAsync(new CashRequest { AccountId = to, Amount = 1, IdempotencyKey = "w" }))),
            ("ENTRY_NOT_FOUND", Refusal.Of(() => bank.Admin.ReverseAsync(new ReverseRequest { EntryId = "e-999" }))),
            ("INVALID_ARGUMENT", Refusal.Of(() => bank.Admin.ReverseAsync(new ReverseRequest { EntryId = "not-an-entry" }))),
            ("NOT_REVERSIBLE", Refusal.Of(() => bank.Admin.ReverseAsync(new ReverseRequest { EntryId = "e-1" }))),
        };

        foreach (var (expected, call) in cases)
        {
            var refusal = await call;
            Assert.Equal(expected, refusal.Reason);
            Assert.NotEqual(StatusCode.Internal, refusal.Status);
            Assert.False(string.IsNullOrWhiteSpace(refusal.Message));
        }
        var audit = await bank.AuditAsync();
        Assert.Equal(entriesBefore, audit.Entries);
        Assert.True(audit.Ok);
        Assert.Equal(1_000, await bank.BalanceAsync(from));
    }

    [Fact]
    public async Task A_balance_that_would_overflow_is_refused()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var account = await bank.OpenAccountAsync(alice, long.MaxValue);

        var refusal = await Refusal.Of(() => bank.Admin.DepositAsync(new CashRequest { AccountId = account, Amount = 1, IdempotencyKey = "one-more" }));

        Assert.Equal("BALANCE_OVERFLOW", refusal.Reason);
        Assert.Equal(long.MaxValue, await bank.BalanceAsync(account));
    }
}
