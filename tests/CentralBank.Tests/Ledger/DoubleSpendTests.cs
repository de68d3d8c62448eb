using Grpc.Core;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.CentralBank.Tests.Ledger;

/// <summary>The bank's answer to a double spend: the one authoritative ledger serialises every debit.</summary>
public class DoubleSpendTests
{
    [Fact]
    public async Task Concurrent_debits_beyond_the_balance_succeed_exactly_floor_balance_over_amount_times()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var bob = await bank.NewCustomerAsync("bob");
        const long balance = 1_050, amount = 100; // room for exactly 10 of 64
        var from = await bank.OpenAccountAsync(alice, balance);
        var to = await bank.OpenAccountAsync(bob);

        var attempts = Enumerable.Range(0, 64).Select(async i =>
        {
            try
            {
                await alice.Client.TransferAsync(new TransferRequest { FromAccountId = from, ToAccountId = to, Amount = amount, IdempotencyKey = $"ds-{i}" });
                return "OK";
            }
            catch (RpcException ex)
            {
                return RpcErrors.Describe(ex).Reason;
            }
        });
        var outcomes = await Task.WhenAll(attempts);

        Assert.Equal(10, outcomes.Count(o => o == "OK"));
        Assert.Equal(54, outcomes.Count(o => o == "INSUFFICIENT_FUNDS"));
        Assert.Equal(50, await bank.BalanceAsync(from));
        Assert.Equal(1_000, await bank.BalanceAsync(to));
        var audit = await bank.AuditAsync();
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
        Assert.Equal(balance, audit.TotalBalances);
        Assert.Equal(balance, audit.Issued);
    }

    [Fact]
    public async Task A_refused_transfer_never_fails_its_batch_neighbours()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var rich = await bank.OpenAccountAsync(alice, 1_000_000);
        var poor = await bank.OpenAccountAsync(alice, 0);
        var sink = await bank.OpenAccountAsync(alice);

        var calls = Enumerable.Range(0, 200).Select(async i =>
        {
            var from = i % 2 == 0 ? rich : poor;
            try
            {
                await alice.Client.TransferAsync(new TransferRequest { FromAccountId = from, ToAccountId = sink, Amount = 7, IdempotencyKey = $"mix-{i}" });
                return from == rich;
            }
            catch (RpcException ex) when (RpcErrors.Describe(ex).Reason == "INSUFFICIENT_FUNDS")
            {
                return from == poor;
            }
        });
        Assert.All(await Task.WhenAll(calls), Assert.True);
        Assert.Equal(700, await bank.BalanceAsync(sink));
    }
}
