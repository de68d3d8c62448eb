using LedgerContrast.CentralBank.Ledger;

namespace LedgerContrast.CentralBank.Tests.Ledger;

/// <summary>The idempotency Bloom filter rotates by retention: bounded memory, no false negatives, a speed-up that lasts.</summary>
public class KeyFilterTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private const long HourMs = 3_600_000;

    [Fact]
    public void A_key_within_its_retention_is_always_found_across_rotations()
    {
        var filter = new KeyFilter(Retention);
        const long step = HourMs / 2;
        for (var round = 0; round < 20; round++)
        {
            var now = round * step;
            for (var i = 0; i < 1_000; i++)
            {
                filter.Add($"r{round}-k{i}", now);
            }
            filter.Rotate(now);
            // This round's keys and the last round's (half a retention old) must all be found.
            Assert.All(Enumerable.Range(0, 1_000), i => Assert.True(filter.MightContain($"r{round}-k{i}", now)));
            if (round > 0)
            {
                Assert.All(Enumerable.Range(0, 1_000), i => Assert.True(filter.MightContain($"r{round - 1}-k{i}", now)));
            }
            Assert.InRange(filter.Generations, 1, KeyFilter.MaxGenerations);
        }
    }

    [Fact]
    public void Keys_past_their_retention_stop_costing_lookups()
    {
        var filter = new KeyFilter(Retention);
        for (var i = 0; i < 100_000; i++)
        {
            filter.Add($"old-{i}", i);
        }
        var later = 3 * HourMs;
        filter.Add("new", later); // starts a new generation
        filter.Rotate(later);

        var falsePositives = Enumerable.Range(0, 10_000).Count(i => filter.MightContain($"old-{i}", later));
        Assert.True(falsePositives < 100, $"{falsePositives} of 10,000 expired keys still looked known");
        Assert.True(filter.MightContain("new", later));
    }
}
