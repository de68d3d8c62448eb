using Grpc.Core;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.Ledger;

/// <summary>One authenticated front door: each refusal, proven.</summary>
public class AuthorizationTests
{
    [Fact]
    public async Task A_customer_cannot_debit_read_or_reverse_another_customers_account_nor_tell_that_it_exists()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var mallory = await bank.NewCustomerAsync("mallory");
        var aliceAccount = await bank.OpenAccountAsync(alice, 500);
        var malloryAccount = await bank.OpenAccountAsync(mallory);
        var paid = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = aliceAccount, ToAccountId = malloryAccount, Amount = 100, IdempotencyKey = "pay" });

        var debit = await Refusal.Of(() => mallory.Client.TransferAsync(new TransferRequest { FromAccountId = aliceAccount, ToAccountId = malloryAccount, Amount = 1, IdempotencyKey = "steal" }));
        var balance = await Refusal.Of(() => mallory.Client.GetBalanceAsync(new GetBalanceRequest { AccountId = aliceAccount }));
        var history = await Refusal.Of(() => mallory.Client.GetHistoryAsync(new GetHistoryRequest { AccountId = aliceAccount }));
        var reverse = await Refusal.Of(() => alice.Client.ReverseAsync(new ReverseRequest { EntryId = paid.EntryId }));
        var missing = await Refusal.Of(() => mallory.Client.GetBalanceAsync(new GetBalanceRequest { AccountId = "acc-999" }));

        // Another customer's account is answered exactly like one that does not exist: ids cannot be probed.
        Assert.All(new[] { debit, balance, history, missing }, r => Assert.Equal((StatusCode.NotFound, "ACCOUNT_NOT_FOUND"), (r.Status, r.Reason)));
        Assert.Equal(missing.Message.Replace("acc-999", aliceAccount, StringComparison.Ordinal), balance.Message);
        Assert.Equal((StatusCode.PermissionDenied, "PERMISSION_DENIED"), (reverse.Status, reverse.Reason));
        Assert.Equal(400, await bank.BalanceAsync(aliceAccount));
    }

    [Fact]
    public async Task A_customer_cannot_do_teller_work()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var account = await bank.OpenAccountAsync(alice);

        var refusals = new[]
        {
            await Refusal.Of(() => alice.Client.CreateCustomerAsync(new CreateCustomerRequest { Name = "eve" })),
            await Refusal.Of(() => alice.Client.OpenAccountAsync(new OpenAccountRequest { CustomerId = alice.Id })),
            await Refusal.Of(() => alice.Client.DepositAsync(new CashRequest { AccountId = account, Amount = 1_000_000 })),
            await Refusal.Of(() => alice.Client.WithdrawAsync(new CashRequest { AccountId = account, Amount = 1 })),
            await Refusal.Of(() => alice.Client.AuditAsync(new AuditRequest())),
        };

        Assert.All(refusals, r => Assert.Equal("PERMISSION_DENIED", r.Reason));
        Assert.Equal(0, await bank.BalanceAsync(account));
    }

    [Fact]
    public async Task No_token_or_a_wrong_token_is_refused_as_unauthenticated()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var account = await bank.OpenAccountAsync(alice, 10);

        var none = await Refusal.Of(() => bank.Client(null).GetBalanceAsync(new GetBalanceRequest { AccountId = account }));
        var wrong = await Refusal.Of(() => bank.Client("lcb_not-a-real-token").GetBalanceAsync(new GetBalanceRequest { AccountId = account }));
        var almostAdmin = await Refusal.Of(() => bank.Client(bank.AdminToken + "x").AuditAsync(new AuditRequest()));

        Assert.All(new[] { none, wrong, almostAdmin }, r => Assert.Equal((StatusCode.Unauthenticated, "UNAUTHENTICATED"), (r.Status, r.Reason)));
    }

    [Fact]
    public async Task The_bank_stores_only_hashes_of_customer_tokens()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        await bank.StopAsync();
        var file = await File.ReadAllBytesAsync(Path.Combine(bank.DataDirectory, "bank.db"));
        var log = Path.Combine(bank.DataDirectory, "bank-log.db");
        var bytes = File.Exists(log) ? [.. file, .. await File.ReadAllBytesAsync(log)] : file;
        Assert.DoesNotContain(alice.Token, System.Text.Encoding.UTF8.GetString(bytes));
        Assert.Contains(Security.Tokens.Hash(alice.Token), System.Text.Encoding.UTF8.GetString(bytes));
    }
}
