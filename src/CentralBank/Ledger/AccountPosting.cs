using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>One journal entry as one account sees it: its signed amount and the other side.</summary>
public sealed record AccountPosting(long Sequence, string Kind, long Amount, string Counterparty, long TimeMs, string ReversesEntryId)
{
    public static AccountPosting Of(EntryDoc entry, string accountId)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var amount = entry.Postings.Where(p => p.AccountId == accountId).Sum(p => p.Amount);
        var counterparty = entry.Postings.FirstOrDefault(p => p.AccountId != accountId && Math.Sign(p.Amount) == -Math.Sign(amount))?.AccountId ?? "";
        return new AccountPosting(entry.Id, entry.Kind, amount, counterparty, entry.TimeMs, entry.ReversesEntryId);
    }
}
