using LedgerContrast.Shared.Money;

namespace LedgerContrast.Shared.Cli;

/// <summary>An amount typed on a command line: exact decimal, at most 8 places, more than zero unless allowed.</summary>
public static class CliAmount
{
    public static Amount Parse(string? text, string what = "amount", bool allowZero = false)
    {
        if (text?.TrimStart().StartsWith('-') == true)
        {
            throw new CliException("INVALID_AMOUNT", $"The {what} must be {(allowZero ? "zero or more" : "more than zero")}; '{text}' is negative.");
        }
        if (!Amount.TryParse(text, out var amount, out var error))
        {
            throw new CliException("INVALID_AMOUNT", error);
        }
        if (!allowZero && !amount.IsPositive)
        {
            throw new CliException("INVALID_AMOUNT", $"The {what} must be more than zero.");
        }
        return amount;
    }
}
