using Grpc.Core;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.CentralBank.Storage;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.Ledger;

/// <summary>
/// Balances reach the account collection a few accounts at a time, each once it has waited a number
/// of entries (`--materialize-after`); until then the journal is their only durable record. A restart must rebuild them from
/// it exactly — applying to each account only what its document lacks — and keys must answer as before.
/// </summary>
public class MaterializationTests
{
    [Fact]
    public async Task A_restart_while_accounts_are_written_a_few_at_a_time_applies_to_each_only_the_entries_its_document_lacks()
    {
        const int materializeAfter = 1_024; // the default is 16,384: a shorter wait crosses it with fewer transfers
        await using var bank = await TestBank.StartAsync(o => o with { MaterializeAfterEntries = materializeAfter });
        var owner = await bank.NewCustomerAsync("many");
        var accounts = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            accounts.Add(await bank.OpenAccountAsync(owner, 1_000_000));
        }
        // Past the point where the first accounts are due and on.
        var transfers = materializeAfter + 2_000;
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async client =>
        {
            var random = new Random(client);
            int n;
            while ((n = Interlocked.Increment(ref next)) <= transfers)
            {
                var from = random.Next(accounts.Count);
                await owner.Client.TransferAsync(new TransferRequest
                {
                    FromAccountId = accounts[from],
                    ToAccountId = accounts[(from + 1 + random.Next(accounts.Count - 1)) % accounts.Count],
                    Amount = 1 + random.Next(100),
                    IdempotencyKey = $"t-{n}",
                });
            }
        }));
        var before = await Task.WhenAll(accounts.Select(bank.BalanceAsync));
        await bank.StopAsync();

        // Some documents were written beyond the marker: replaying from it must skip their entries.
        using (var db = new BankDatabase(bank.DataDirectory))
        {
            var marker = db.MaterializedThrough();
            Assert.Contains(db.Accounts.FindAll(), account => account.LastSequence > marker);
        }

        await using var restarted = await bank.RestartAsync();
        Assert.Equal(before, await Task.WhenAll(accounts.Select(restarted.BalanceAsync)));
        var audit = await restarted.AuditAsync();
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
    }

    [Fact]
    public async Task A_restart_before_the_first_materialization_rebuilds_balances_and_receipts_from_the_journal()
    {
        await using var bank = await TestBank.StartAsync();
        var (alice, _, a, b) = await bank.AliceAndBobAsync(1_000);
        var requests = Enumerable.Range(0, 3).Select(i => new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 100 + i, IdempotencyKey = $"pay-{i}" }).ToList();
        var receipts = new List<EntryReply>();
        foreach (var request in requests)
        {
            receipts.Add(await alice.Client.TransferAsync(request));
        }
        await bank.StopAsync();

        await using var restarted = await bank.RestartAsync();
        var client = restarted.Client(alice.Token);

        Assert.Equal(1_000 - 303, await restarted.BalanceAsync(a));
        Assert.Equal(303, await restarted.BalanceAsync(b));
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal(receipts[i], await client.TransferAsync(requests[i])); // the receipt, not a second transfer
        }
        Assert.Equal(1_000 - 303, await restarted.BalanceAsync(a));
        var audit = await restarted.AuditAsync();
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
    }

    [Fact]
    public async Task An_expired_key_reused_for_a_refused_request_keeps_that_refusal_across_a_restart()
    {
        var retention = TimeSpan.FromSeconds(3);
        await using var bank = await TestBank.StartAsync(o => o with { IdempotencyKeyRetention = retention });
        var (alice, _, a, b) = await bank.AliceAndBobAsync(1_000);
        var paid = new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 10, IdempotencyKey = "reused" };
        var tooMuch = new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 1_000_000, IdempotencyKey = "reused" };
        await alice.Client.TransferAsync(paid);

        // Until the key expires the other request is refused as a reuse; then it runs, and is refused for funds.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string reason;
        do
        {
            reason = (await Refusal.Of(() => alice.Client.TransferAsync(tooMuch))).Reason;
            await Task.Delay(50);
        }
        while (reason == "IDEMPOTENCY_KEY_REUSED" && DateTime.UtcNow < deadline);
        Assert.Equal("INSUFFICIENT_FUNDS", reason);
        await bank.StopAsync();

        await using var restarted = await bank.RestartAsync(o => o with { IdempotencyKeyRetention = retention });
        var client = restarted.Client(alice.Token);

        // The key now belongs to the refused request: the first request is a reuse, not a new payment.
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", (await Refusal.Of(() => client.TransferAsync(paid))).Reason);
        Assert.Equal(990, await restarted.BalanceAsync(a));
    }
}
