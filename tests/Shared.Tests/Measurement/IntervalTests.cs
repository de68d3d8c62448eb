using LedgerContrast.Shared.Measurement;
using Xunit;

namespace LedgerContrast.Shared.Tests.Measurement;

public class IntervalTests
{
    [Fact]
    public void Wilsons_interval_matches_published_values_and_stays_within_zero_and_one()
    {
        // Newcombe (1998), table I: 0 of 10 → 0–0.2775; 1 of 29 → 0.0061–0.1718; 81 of 263 → 0.2553–0.3662.
        var none = Proportion.Of(0, 10);
        Assert.Equal(0, none.Low);
        Assert.Equal(0.2775, none.High, 4);
        var one = Proportion.Of(1, 29);
        Assert.Equal(0.0061, one.Low, 4);
        Assert.Equal(0.1718, one.High, 4);
        var many = Proportion.Of(81, 263);
        Assert.Equal(0.2553, many.Low, 4);
        Assert.Equal(0.3662, many.High, 4);
        Assert.Equal(1, Proportion.Of(30, 30).High);
        Assert.True(Proportion.Of(30, 30).Low > 0.88);
        Assert.Equal((0d, 1d), (Proportion.Of(0, 0).Low, Proportion.Of(0, 0).High));
        Assert.True(many.Contains(0.3) && !many.Contains(0.2));
        Assert.Equal("30.8% (81 of 263; 95% CI 25.5–36.6%)", many.ToString());
    }

    [Fact]
    public void A_steady_rate_has_a_narrow_interval_and_a_bursty_one_a_wide_interval_around_the_same_mean()
    {
        // 1,000 events evenly over 10 s: every slice holds 100, so the interval is the mean itself.
        var steady = RateEstimate.FromCompletions([.. Enumerable.Range(0, 1000).Select(i => i / 100.0)], 10);
        Assert.Equal(100, steady.PerSecond, 6);
        Assert.Equal(100, steady.Low, 6);
        Assert.Equal(100, steady.High, 6);
        // The same 1,000 events, all in the first half: the same mean, a wide interval (t with 9 df).
        var bursty = RateEstimate.FromCompletions([.. Enumerable.Range(0, 1000).Select(i => i / 200.0)], 10);
        Assert.Equal(100, bursty.PerSecond, 6);
        // Slice rates 200 ×5 and 0 ×5: sd = 105.4, half-width = 2.262 × 105.4 / √10 = 75.4.
        Assert.Equal(24.6, bursty.Low, 1);
        Assert.Equal(175.4, bursty.High, 1);
        Assert.True(steady.Overlaps(bursty));
        Assert.False(steady.Overlaps(RateEstimate.FromCompletions([.. Enumerable.Range(0, 3000).Select(i => i / 300.0)], 10)));
        Assert.Equal(1000, bursty.Events);
    }
}
