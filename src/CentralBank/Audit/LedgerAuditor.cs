using System.Globalization;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.CentralBank.Storage;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.CentralBank.Audit;

public sealed record AuditReport(
    bool Ok, long Entries, long CustomerBalances, long Deposits, long Withdrawals, long WriteOffs,
    IReadOnlyList<string> Problems, long FirstBrokenSequence)
{
    /// <summary>Money in customer accounts must equal cash deposited minus cash withdrawn plus what the bank wrote off.</summary>
    public long Issued => Deposits - Withdrawals;
}

/// <summary>
/// Proves the ledger from its journal alone: every hash link, every entry balanced (postings
/// sum to zero), every cached balance equal to the sum of its postings, no customer balance
/// negative, and conservation of money.
/// </summary>
public static class LedgerAuditor
{
    private const int MaxProblems = 20;

    public static AuditReport Run(BankDatabase db)
    {
        ArgumentNullException.ThrowIfNull(db);
        var problems = new List<string>();
        var balances = new Dictionary<string, long>(StringComparer.Ordinal);
        var lastEntryOf = new Dictionary<string, long>(StringComparer.Ordinal);
        long entries = 0, deposits = 0, withdrawals = 0, writeOffs = 0, firstBroken = 0;
        var expectedPrev = EntryHasher.GenesisHash;
        long expectedSequence = 1;

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

            long sum = 0;
            foreach (var posting in entry.Postings)
            {
                sum += posting.Amount;
                balances[posting.AccountId] = balances.GetValueOrDefault(posting.AccountId) + posting.Amount;
                if (posting.Previous != lastEntryOf.GetValueOrDefault(posting.AccountId))
                {
                    Add(problems, $"entry {id}: the history link of account {posting.AccountId} skips or repeats entries");
                }
                lastEntryOf[posting.AccountId] = entry.Id;
            }
            if (sum != 0)
            {
                Add(problems, $"entry {id} is unbalanced: its postings sum to {Amount.FromMinorUnits(sum)}");
            }
            var moved = entry.Postings.Where(p => p.Amount > 0).Sum(p => p.Amount);
            switch (entry.Kind)
            {
                case EntryKinds.Deposit: deposits += moved; break;
                case EntryKinds.Withdrawal: withdrawals += moved; break;
                case EntryKinds.Reversal:
                    writeOffs -= entry.Postings.Where(p => p.AccountId == BankDatabase.WriteOffAccountId).Sum(p => p.Amount);
                    break;
            }
        }

        long customerTotal = 0;
        foreach (var account in db.Accounts.FindAll())
        {
            var recomputed = balances.GetValueOrDefault(account.Id);
            if (recomputed != account.Balance)
            {
                Add(problems, $"account {account.Id}: stored balance {Amount.FromMinorUnits(account.Balance)} but its postings sum to {Amount.FromMinorUnits(recomputed)}");
            }
            if (account.LastSequence != lastEntryOf.GetValueOrDefault(account.Id))
            {
                Add(problems, $"account {account.Id}: its history starts at the wrong entry");
            }
            if (!BankDatabase.IsSystemAccount(account.Id))
            {
                customerTotal += recomputed;
                if (recomputed < 0)
                {
                    Add(problems, $"account {account.Id} is negative: {Amount.FromMinorUnits(recomputed)}");
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
            Add(problems, $"conservation fails: customer balances total {Amount.FromMinorUnits(customerTotal)}, but deposits − withdrawals + write-offs = {Amount.FromMinorUnits(deposits - withdrawals + writeOffs)}");
        }
        return new AuditReport(problems.Count == 0, entries, customerTotal, deposits, withdrawals, writeOffs, problems, firstBroken);
    }

    private static void Add(List<string> problems, string problem)
    {
        if (problems.Count < MaxProblems)
        {
            problems.Add(problem);
        }
    }
}
