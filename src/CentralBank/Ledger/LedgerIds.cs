using System.Globalization;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>Public names of ledger objects: customers "cus-N", accounts "acc-N", journal entries "e-N".</summary>
public static class LedgerIds
{
    public static string Customer(long n) => "cus-" + n.ToString(CultureInfo.InvariantCulture);
    public static string Account(long n) => "acc-" + n.ToString(CultureInfo.InvariantCulture);
    public static string Entry(long sequence) => "e-" + sequence.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses an entry id to its number: "e-5" and "e-05" both name entry 5. Callers then use only
    /// the canonical name <see cref="Entry"/>: one entry has one name, so a lookup keyed by the name
    /// (already reversed?) sees every reference to the entry however it was spelled.
    /// </summary>
    public static bool TryParseEntry(string? entryId, out long sequence)
    {
        sequence = 0;
        return entryId is not null && entryId.StartsWith("e-", StringComparison.Ordinal) && entryId.Length <= 22
            && long.TryParse(entryId.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out sequence) && sequence > 0;
    }
}
