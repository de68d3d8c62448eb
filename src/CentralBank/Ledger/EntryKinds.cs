using System.Globalization;

namespace LedgerContrast.CentralBank.Ledger;

public static class EntryKinds
{
    public const string Deposit = "DEPOSIT";
    public const string Withdrawal = "WITHDRAWAL";
    public const string Transfer = "TRANSFER";
    public const string Reversal = "REVERSAL";
}

/// <summary>Public names of ledger objects: customers "cus-N", accounts "acc-N", journal entries "e-N".</summary>
public static class LedgerIds
{
    public static string Customer(long n) => "cus-" + n.ToString(CultureInfo.InvariantCulture);
    public static string Account(long n) => "acc-" + n.ToString(CultureInfo.InvariantCulture);
    public static string Entry(long sequence) => "e-" + sequence.ToString(CultureInfo.InvariantCulture);

    public static bool TryParseEntry(string? entryId, out long sequence)
    {
        sequence = 0;
        return entryId is not null && entryId.StartsWith("e-", StringComparison.Ordinal) && entryId.Length <= 22
            && long.TryParse(entryId.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out sequence) && sequence > 0;
    }
}
