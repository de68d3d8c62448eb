using System.Globalization;

namespace LedgerContrast.CentralBank.Ledger;

public static class EntryKinds
{
    public const string Deposit = "DEPOSIT";
    public const string Withdrawal = "WITHDRAWAL";
    public const string Transfer = "TRANSFER";
    public const string Reversal = "REVERSAL";
}
