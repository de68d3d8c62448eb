using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Measurement;

namespace LedgerContrast.Shared.Tests.Measurement;

public class PercentilesTests
{
    [Fact]
    public void Nearest_rank_percentiles_of_unsorted_values()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).Reverse();
        Assert.Equal([51d, 100d, 100d], Percentiles.Of(values, 0.5, 0.99, 1.0));
        Assert.Equal([0d], Percentiles.Of([], 0.5));
    }

    [Fact]
    public void A_typed_amount_must_be_exact_and_more_than_zero_unless_allowed()
    {
        Assert.Equal(1_250_000_000, CliAmount.Parse("12.5").MinorUnits);
        Assert.Equal("The fee must be more than zero.", Assert.Throws<CliException>(() => CliAmount.Parse("0", "fee")).Message);
        Assert.Equal(0, CliAmount.Parse("0", "fee", allowZero: true).MinorUnits);
        var error = Assert.Throws<CliException>(() => CliAmount.Parse("1.123456789"));
        Assert.Equal(("INVALID_AMOUNT", "'1.123456789' has 9 decimal places; at most 8 are allowed."), (error.Reason, error.Message));
    }
}
