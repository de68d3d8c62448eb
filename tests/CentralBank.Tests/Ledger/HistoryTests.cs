using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.Ledger;

public class HistoryTests
{
    [Fact]
    public async Task History_pages_newest_first_without_gaps_or_repeats()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var a = await bank.OpenAccountAsync(alice, 1_000);
        var b = await bank.OpenAccountAsync(alice);
        await bank.OpenAccountAsync(alice, 5); // its deposit must not leak into b's history
        for (var i = 0; i < 12; i++)
        {
            await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = i + 1, IdempotencyKey = $"h{i}" });
        }

        var seen = new List<Posting>();
        ulong before = 0;
        var pages = 0;
        do
        {
            var page = await alice.Client.GetHistoryAsync(new GetHistoryRequest { AccountId = b, PageSize = 5, BeforeSequence = before });
            seen.AddRange(page.Postings);
            before = page.NextBeforeSequence;
            pages++;
        }
        while (before != 0);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(1, 12).Reverse().Select(i => (long)i), seen.Select(p => p.Amount));
        Assert.All(seen, p => Assert.Equal(a, p.CounterpartyAccountId));
        Assert.Equal(seen.Select(p => p.Sequence).OrderDescending(), seen.Select(p => p.Sequence));
    }
}
