using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace LedgerContrast.Shared.Money;

/// <summary>
/// Money as a 64-bit count of minor units (1 unit = 10^8 minor units, like satoshis).
/// Parsing and formatting are exact decimal string operations; no floating point anywhere.
/// Arithmetic is checked: an overflow throws instead of wrapping.
/// </summary>
public readonly record struct Amount : IComparable<Amount>
{
    public const int Decimals = 8;
    public const long MinorPerUnit = 100_000_000;

    public Amount(long minorUnits) => MinorUnits = minorUnits;

    public long MinorUnits { get; }

    public static Amount Zero => default;
    public static Amount MaxValue => new(long.MaxValue);

    public static Amount FromMinorUnits(long minorUnits) => new(minorUnits);

    public static Amount FromUnits(long units) => new(checked(units * MinorPerUnit));

    public bool IsPositive => MinorUnits > 0;

    public static Amount operator +(Amount a, Amount b) => new(checked(a.MinorUnits + b.MinorUnits));
    public static Amount operator -(Amount a, Amount b) => new(checked(a.MinorUnits - b.MinorUnits));
    public static Amount operator *(Amount a, long factor) => new(checked(a.MinorUnits * factor));
    public static Amount operator -(Amount a) => new(checked(-a.MinorUnits));
    public static bool operator <(Amount a, Amount b) => a.MinorUnits < b.MinorUnits;
    public static bool operator >(Amount a, Amount b) => a.MinorUnits > b.MinorUnits;
    public static bool operator <=(Amount a, Amount b) => a.MinorUnits <= b.MinorUnits;
    public static bool operator >=(Amount a, Amount b) => a.MinorUnits >= b.MinorUnits;

    public static Amount Add(Amount a, Amount b) => a + b;
    public static Amount Subtract(Amount a, Amount b) => a - b;
    public static Amount Multiply(Amount a, long factor) => a * factor;
    public static Amount Negate(Amount a) => -a;

    public int CompareTo(Amount other) => MinorUnits.CompareTo(other.MinorUnits);

    /// <summary>Parses a non-negative decimal such as "12.5" or "0.00000001".</summary>
    public static Amount Parse(string text) =>
        TryParse(text, out var amount, out var error) ? amount : throw new FormatException(error);

    public static bool TryParse(string? text, out Amount amount, [NotNullWhen(false)] out string? error)
    {
        amount = Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "The amount is empty.";
            return false;
        }
        var s = text.Trim();
        if (s.Length > 40)
        {
            error = $"'{s[..40]}…' is not an amount: it is too long.";
            return false;
        }
        if (s[0] == '-')
        {
            error = $"'{s}' is negative; amounts must be zero or more.";
            return false;
        }
        if (s[0] == '+')
        {
            s = s[1..];
        }
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? s : s[..dot];
        var fraction = dot < 0 ? string.Empty : s[(dot + 1)..];
        if ((whole.Length == 0 && fraction.Length == 0) || !IsDigits(whole) || !IsDigits(fraction) || (dot >= 0 && fraction.Length == 0))
        {
            error = $"'{text.Trim()}' is not an amount: use digits with at most one decimal point, e.g. 12.5.";
            return false;
        }
        if (fraction.Length > Decimals)
        {
            error = $"'{text.Trim()}' has {fraction.Length} decimal places; at most {Decimals} are allowed.";
            return false;
        }
        long units = 0;
        long minor = 0;
        try
        {
            foreach (var c in whole)
            {
                units = checked(units * 10 + (c - '0'));
            }
            foreach (var c in fraction.PadRight(Decimals, '0'))
            {
                minor = minor * 10 + (c - '0');
            }
            amount = new Amount(checked(units * MinorPerUnit + minor));
        }
        catch (OverflowException)
        {
            error = $"'{text.Trim()}' is too large: the most an amount can hold is {MaxValue}.";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Shortest exact decimal: 1250000000 minor units → "12.5"; 1 → "0.00000001".</summary>
    public override string ToString()
    {
        var negative = MinorUnits < 0;
        var magnitude = negative ? (ulong)(-(MinorUnits + 1)) + 1 : (ulong)MinorUnits;
        var units = magnitude / MinorPerUnit;
        var minor = magnitude % MinorPerUnit;
        var text = units.ToString(CultureInfo.InvariantCulture);
        if (minor != 0)
        {
            text += "." + minor.ToString("D8", CultureInfo.InvariantCulture).TrimEnd('0');
        }
        return negative ? "-" + text : text;
    }

    private static bool IsDigits(string s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return true;
    }
}
