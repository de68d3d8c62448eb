using LedgerContrast.Shared.Money;

namespace LedgerContrast.Shared.Tests.Money;

public class AmountTests
{
    [Theory]
    [InlineData("12.5", 1_250_000_000L, "12.5")]
    [InlineData("0.00000001", 1L, "0.00000001")]
    [InlineData("0", 0L, "0")]
    [InlineData("007.10", 710_000_000L, "7.1")]
    [InlineData(".5", 50_000_000L, "0.5")]
    [InlineData("92233720368.54775807", long.MaxValue, "92233720368.54775807")]
    [InlineData(" 3 ", 300_000_000L, "3")]
    public void Parses_and_formats_exactly(string text, long minor, string formatted)
    {
        var amount = Amount.Parse(text);
        Assert.Equal(minor, amount.MinorUnits);
        Assert.Equal(formatted, amount.ToString());
        Assert.Equal(amount, Amount.Parse(amount.ToString()));
    }

    [Theory]
    [InlineData("-1", "negative")]
    [InlineData("1.123456789", "9 decimal places; at most 8")]
    [InlineData("92233720368.54775808", "too large")]
    [InlineData("99999999999999999999", "too large")]
    [InlineData("NaN", "not an amount")]
    [InlineData("1e5", "not an amount")]
    [InlineData("1.2.3", "not an amount")]
    [InlineData("1,5", "not an amount")]
    [InlineData("5.", "not an amount")]
    [InlineData("", "empty")]
    [InlineData("١٢", "not an amount")]
    public void Refuses_malformed_amounts_with_a_clear_message(string text, string reason)
    {
        Assert.False(Amount.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
        var thrown = Assert.Throws<FormatException>(() => Amount.Parse(text));
        Assert.Equal(error, thrown.Message);
    }

    [Fact]
    public void Arithmetic_is_checked()
    {
        Assert.Throws<OverflowException>(() => Amount.MaxValue + Amount.FromMinorUnits(1));
        Assert.Throws<OverflowException>(() => Amount.FromMinorUnits(long.MinValue) - Amount.FromMinorUnits(1));
        Assert.Throws<OverflowException>(() => Amount.FromUnits(long.MaxValue / 10));
        Assert.Equal(Amount.Parse("0.3"), Amount.Parse("0.1") + Amount.Parse("0.2"));
    }

    [Fact]
    public void Negative_amounts_format_with_a_sign()
    {
        Assert.Equal("-1.5", (-Amount.Parse("1.5")).ToString());
        Assert.Equal("-92233720368.54775808", Amount.FromMinorUnits(long.MinValue).ToString());
    }
}
