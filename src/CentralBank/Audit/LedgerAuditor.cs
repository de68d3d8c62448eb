using System.Globalization;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.CentralBank.Storage;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.CentralBank.Audit;

/// <summary>
/// A point of the journal a client saw on a receipt: entry <see cref="Sequence"/> had hash
/// <see cref="Hash"/>. Whoever can write the file can re-hash the whole chain after an edit or
/// drop its newest entries, and the chain alone still verifies; an anchor kept outside the file
/// cannot be forged that way.
/// </summary>
public sealed record JournalAnchor(long Sequence, string Hash)
{
    /// <summary>Parses "SEQ:HASH" (what `bank audit` and receipts print) or "e-SEQ:HASH".</summary>
    public static bool TryParse(string? text, out JournalAnchor? anchor)
    {
        anchor = null;
        var parts = text?.Split(':') ?? [];
        if (parts.Length != 2)
        {
            return false;
        }
        var sequenceText = parts[0].StartsWith("e-", StringComparison.Ordinal) ? parts[0][2..] : parts[0];
        return long.TryParse(sequenceText, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && TryCreate(sequence, parts[1], out anchor);
    }

    /// <summary>From a receipt's fields: a sequence above 0 and a 64-hex-digit hash.</summary>
    public static bool TryCreate(long sequence, string? hash, out JournalAnchor? anchor)
    {
        anchor = sequence > 0 && hash is { Length: 64 } && hash.All(Uri.IsHexDigit) ? new JournalAnchor(sequence, hash.ToLowerInvariant()) : null;
        return anchor is not null;
    }

    public override string ToString() => Sequence.ToString(CultureInfo.InvariantCulture) + ":" + Hash;
}

public sealed record AuditReport(
    bool Ok, long Entries, Int128 CustomerBalances, Int128 Deposits, Int128 Withdrawals, Int128 WriteOffs,
    IReadOnlyList<string> Problems, long FirstBrokenSequence, long HeadSequence, string HeadHash)
{
    /// <summary>Money in customer accounts must equal cash deposited minus cash withdrawn plus what the bank wrote off.</summary>
    public Int128 Issued => Deposits - Withdrawals;

    /// <summary>A total for a 64-bit field: beyond the range it reads as the nearest 64-bit value, and the problems say why.</summary>
    public static long Saturate(Int128 total) => (long)Int128.Clamp(total, long.MinValue, long.MaxValue);
}

/// <summary>
/// Proves the ledger from its journal alone: every hash link, every entry balanced (postings
/// sum to zero), every cached balance equal to the sum of its postings, no customer balance
/// negative, every reversal naming an existing transfer and no transfer reversed twice,
/// conservation of money, and — given an anchor from an earlier receipt — that the journal
/// still holds that entry with that hash. Sums are 128-bit: a wrapped 64-bit total must be
/// reported, never balance by accident.
/// </summary>
public static class LedgerAuditor
{
    private const int MaxProblems = 20;

    public static AuditReport Run(BankDatabase db, JournalAnchor? expect = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        var problems = new List<string>();
        var balances = new Dictionary<string, Int128>(StringComparer.Ordinal);
        var lastEntryOf = new Dictionary<string, long>(StringComparer.Ordinal);
        var reversedBy = new Dictionary<string, string>(StringComparer.Ordinal);
        long entries = 0, firstBroken = 0;
        Int128 deposits = 0, withdrawals = 0, writeOffs = 0;
        var expectedPrev = EntryHasher.GenesisHash;
        long expectedSequence = 1;
        string? anchorHashSeen = null;
        // Each account document reflects the journal up to its own newest entry, and at least up
        // to the materialization marker; later entries are replayed at start-up. Each stored
        // balance is compared with the journal at the entry its document names.
        var materializedThrough = db.MaterializedThrough();
        Dictionary<string, long>? lastEntryAtMarker = materializedThrough == 0 ? [] : null;
        var stored = db.Accounts.FindAll().ToDictionary(a => a.Id, StringComparer.Ordinal);
        var balanceAtStoredEntry = new Dictionary<string, Int128>(StringComparer.Ordinal);

        foreach (var raw in db.RawEntries.Query().OrderBy("_id").ToEnumerable())
        {
            entries++;
            var entry = db.TryReadEntry(raw);
            if (entry is null)
            {
                var rawId = raw["_id"].IsNumber ? raw["_id"].AsInt64 : expectedSequence;
                if (firstBroken == 0)
                {
                    firstBroken = rawId;
                    Add(problems, $"broken hash chain at entry {LedgerIds.Entry(rawId)}: the entry cannot be read (a field was altered)");
                }
                expectedSequence = rawId + 1;
                expectedPrev = raw["Hash"].IsString ? raw["Hash"].AsString : "";
                continue;
            }
            var id = LedgerIds.Entry(entry.Id);
            string? broken = null;
            if (entry.Id != expectedSequence)
            {
                broken = $"entry {id}: expected sequence {expectedSequence.ToString(CultureInfo.InvariantCulture)} (an entry is missing or was inserted)";
            }
            else if (!string.Equals(entry.PrevHash, expectedPrev, StringComparison.Ordinal))
            {
                broken = $"entry {id}: its previous-hash link does not match entry {LedgerIds.Entry(entry.Id - 1)}";
            }
            else if (!string.Equals(EntryHasher.Compute(entry), entry.Hash, StringComparison.Ordinal))
            {
                broken = $"entry {id}: its contents do not match its hash (the entry was altered)";
            }
            if (broken is not null && firstBroken == 0)
            {
                firstBroken = entry.Id;
                Add(problems, "broken hash chain at " + broken);
            }
            expectedSequence = entry.Id + 1;
            expectedPrev = entry.Hash;
            if (expect is not null && entry.Id == expect.Sequence)
            {
                anchorHashSeen = entry.Hash;
            }

            Int128 sum = 0, moved = 0;
            foreach (var posting in entry.Postings)
            {
                sum += posting.Amount;
                if (posting.Amount > 0)
                {
                    moved += posting.Amount;
                }
                balances[posting.AccountId] = balances.GetValueOrDefault(posting.AccountId) + posting.Amount;
                if (posting.Previous != lastEntryOf.GetValueOrDefault(posting.AccountId))
                {
                    Add(problems, $"entry {id}: the history link of account {posting.AccountId} skips or repeats entries");
                }
                lastEntryOf[posting.AccountId] = entry.Id;
                if (stored.TryGetValue(posting.AccountId, out var document) && document.LastSequence == entry.Id)
                {
                    balanceAtStoredEntry[posting.AccountId] = balances[posting.AccountId];
                }
            }
            if (sum != 0)
            {
                Add(problems, $"entry {id} is unbalanced: its postings sum to {Format(sum)}");
            }
            if (entry.Id == materializedThrough)
            {
                lastEntryAtMarker = new(lastEntryOf, StringComparer.Ordinal);
            }
            switch (entry.Kind)
            {
                case EntryKinds.Deposit: deposits += moved; break;
                case EntryKinds.Withdrawal: withdrawals += moved; break;
                case EntryKinds.Transfer: break;
                case EntryKinds.Reversal:
                    foreach (var posting in entry.Postings.Where(p => p.AccountId == BankDatabase.WriteOffAccountId))
                    {
                        writeOffs -= posting.Amount;
                    }
                    CheckReversal(db, entry, id, reversedBy, problems);
                    break;
                default:
                    Add(problems, $"entry {id} has an unknown kind '{entry.Kind}'");
                    break;
            }
        }

        // The "already reversed?" check reads this collection: it must agree with the journal exactly.
        foreach (var reversal in db.Reversals.FindAll())
        {
            if (!reversedBy.TryGetValue(reversal.Id, out var journalSays) || !string.Equals(journalSays, reversal.ReversalEntryId, StringComparison.Ordinal))
            {
                Add(problems, $"the reversal index says {reversal.Id} was reversed by {reversal.ReversalEntryId}, but the journal does not");
            }
            reversedBy.Remove(reversal.Id);
        }
        foreach (var (original, reversal) in reversedBy)
        {
            Add(problems, $"reversal {reversal} of {original} is missing from the reversal index (it could be reversed again)");
        }

        if (lastEntryAtMarker is null)
        {
            Add(problems, $"the materialization marker names entry {LedgerIds.Entry(materializedThrough)}, which the journal does not hold readably");
            lastEntryAtMarker = new(lastEntryOf, StringComparer.Ordinal);
        }
        Int128 customerTotal = 0;
        foreach (var account in stored.Values)
        {
            var recomputed = balances.GetValueOrDefault(account.Id);
            if (account.LastSequence == 0 ? account.Balance != 0 : !balanceAtStoredEntry.TryGetValue(account.Id, out var atStoredEntry) || atStoredEntry != account.Balance)
            {
                var journal = account.LastSequence == 0 ? 0 : balanceAtStoredEntry.GetValueOrDefault(account.Id);
                Add(problems, $"account {account.Id}: stored balance {Format(account.Balance)} but its postings through {LedgerIds.Entry(account.LastSequence)} sum to {Format(journal)}");
            }
            if (recomputed > long.MaxValue || recomputed < long.MinValue)
            {
                Add(problems, $"account {account.Id}: its postings sum to {Format(recomputed)}, outside the 64-bit range (a balance wrapped)");
            }
            if ((account.LastSequence != 0 && !balanceAtStoredEntry.ContainsKey(account.Id)) || account.LastSequence < lastEntryAtMarker.GetValueOrDefault(account.Id))
            {
                Add(problems, $"account {account.Id}: its history starts at the wrong entry");
            }
            if (!BankDatabase.IsSystemAccount(account.Id))
            {
                customerTotal += recomputed;
                if (recomputed < 0)
                {
                    Add(problems, $"account {account.Id} is negative: {Format(recomputed)}");
                }
            }
            balances.Remove(account.Id);
        }
        foreach (var orphan in balances.Keys)
        {
            Add(problems, $"postings name account {orphan}, which does not exist");
        }
        if (customerTotal != deposits - withdrawals + writeOffs)
        {
            Add(problems, $"conservation fails: customer balances total {Format(customerTotal)}, but deposits − withdrawals + write-offs = {Format(deposits - withdrawals + writeOffs)}");
        }
        var headSequence = expectedSequence - 1;
        if (expect is not null)
        {
            if (anchorHashSeen is null)
            {
                Add(problems, $"the anchor names entry {LedgerIds.Entry(expect.Sequence)}, but the journal ends at {LedgerIds.Entry(headSequence)}: entries were deleted");
            }
            else if (!string.Equals(anchorHashSeen, expect.Hash, StringComparison.Ordinal))
            {
                Add(problems, $"entry {LedgerIds.Entry(expect.Sequence)} no longer has the anchored hash {expect.Hash[..12]}…: the journal was rewritten up to there");
            }
        }
        return new AuditReport(problems.Count == 0, entries, customerTotal, deposits, withdrawals, writeOffs, problems, firstBroken, headSequence, expectedPrev);
    }

    /// <summary>A reversal must name, canonically, an earlier transfer not reversed before, and give its sender back exactly its amount.</summary>
    private static void CheckReversal(BankDatabase db, EntryDoc reversal, string id, Dictionary<string, string> reversedBy, List<string> problems)
    {
        if (!LedgerIds.TryParseEntry(reversal.ReversesEntryId, out var originalSequence) || originalSequence >= reversal.Id
            || !string.Equals(LedgerIds.Entry(originalSequence), reversal.ReversesEntryId, StringComparison.Ordinal))
        {
            Add(problems, $"reversal {id} names '{reversal.ReversesEntryId}', which is not the canonical name of an earlier entry");
            return;
        }
        if (reversedBy.TryGetValue(reversal.ReversesEntryId, out var earlier))
        {
            Add(problems, $"entry {reversal.ReversesEntryId} is reversed twice: by {earlier} and by {id}");
            return;
        }
        reversedBy[reversal.ReversesEntryId] = id;
        var original = db.Entries.FindById(originalSequence);
        if (original is null || original.Kind != EntryKinds.Transfer)
        {
            Add(problems, $"reversal {id} reverses {reversal.ReversesEntryId}, which is not a transfer");
            return;
        }
        var sent = original.Postings.FirstOrDefault(p => p.Amount < 0);
        var given = reversal.Postings.Where(p => p.Amount > 0).ToList();
        if (sent is null || given.Count != 1 || given[0].AccountId != sent.AccountId || given[0].Amount != -sent.Amount)
        {
            Add(problems, $"reversal {id} does not give the sender of {reversal.ReversesEntryId} back exactly what it sent");
        }
    }

    private static string Format(Int128 minorUnits) =>
        minorUnits >= long.MinValue && minorUnits <= long.MaxValue
            ? Amount.FromMinorUnits((long)minorUnits).ToString()
            : minorUnits.ToString(CultureInfo.InvariantCulture) + " minor units";

    private static void Add(List<string> problems, string problem)
    {
        if (problems.Count < MaxProblems)
        {
            problems.Add(problem);
        }
    }
}
