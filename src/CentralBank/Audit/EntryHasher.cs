using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Audit;

/// <summary>
/// The journal's hash chain: hash(n) = SHA-256(hash(n-1) || canonical text of entry n), hex.
/// Editing, inserting or deleting any entry breaks every later link, which `bank audit` finds.
/// Canonical text: "prev_hash|seq|kind|time_ms|reverses|memo|account:amount:previous;…" (UTF-8), where
/// previous is the account's preceding entry (its history list).
/// </summary>
public static class EntryHasher
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Compute(EntryDoc entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var text = new StringBuilder(128)
            .Append(entry.PrevHash).Append('|')
            .Append(entry.Id.ToString(CultureInfo.InvariantCulture)).Append('|')
            .Append(entry.Kind).Append('|')
            .Append(entry.TimeMs.ToString(CultureInfo.InvariantCulture)).Append('|')
            .Append(entry.ReversesEntryId).Append('|')
            .Append(entry.Memo).Append('|');
        foreach (var posting in entry.Postings)
        {
            text.Append(posting.AccountId).Append(':').Append(posting.Amount.ToString(CultureInfo.InvariantCulture))
                .Append(':').Append(posting.Previous.ToString(CultureInfo.InvariantCulture)).Append(';');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
