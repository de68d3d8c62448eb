using LedgerContrast.CentralBank.Audit;
using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Tests.Harness;

/// <summary>
/// The attacker who can write bank.db (a stopped bank's file): forges entries with valid hash
/// links and keeps every cached balance consistent, so only what the audit proves beyond the
/// chain itself can catch the forgery.
/// </summary>
public sealed class JournalForger(string dataDirectory) : IDisposable
{
    private readonly BankDatabase _db = new(dataDirectory);

    /// <summary>Appends an entry with correct links and hash; balances are updated with unchecked 64-bit arithmetic, as a careless writer would.</summary>
    public EntryDoc Append(string kind, (string Account, long Amount)[] postings, string reverses = "")
    {
        var last = _db.LastEntry();
        var entry = new EntryDoc
        {
            Id = (last?.Id ?? 0) + 1,
            Kind = kind,
            TimeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            ReversesEntryId = reverses,
            PrevHash = last?.Hash ?? EntryHasher.GenesisHash,
        };
        foreach (var (account, amount) in postings)
        {
            var doc = _db.Accounts.FindById(account);
            entry.Postings.Add(new PostingDoc { AccountId = account, Amount = amount, Previous = doc.LastSequence });
            doc.Balance = unchecked(doc.Balance + amount);
            doc.LastSequence = entry.Id;
            _db.Accounts.Update(doc);
        }
        entry.Hash = EntryHasher.Compute(entry);
        _db.Entries.Insert(entry);
        return entry;
    }

    /// <summary>Deletes the newest entries and makes every balance agree with what is left.</summary>
    public void DeleteNewest(int count)
    {
        var last = _db.LastEntry()!.Id;
        for (var id = last; id > last - count; id--)
        {
            _db.Entries.Delete(id);
        }
        RecomputeBalances();
    }

    /// <summary>Edits one entry, then re-hashes the chain from it to the end and recomputes balances.</summary>
    public void Rewrite(long sequence, Action<EntryDoc> edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        var previousHash = sequence == 1 ? EntryHasher.GenesisHash : _db.Entries.FindById(sequence - 1).Hash;
        foreach (var entry in _db.Entries.Find(e => e.Id >= sequence).OrderBy(e => e.Id).ToList())
        {
            if (entry.Id == sequence)
            {
                edit(entry);
            }
            entry.PrevHash = previousHash;
            entry.Hash = EntryHasher.Compute(entry);
            previousHash = entry.Hash;
            _db.Entries.Update(entry);
        }
        RecomputeBalances();
    }

    /// <summary>Makes every stored balance agree with the whole journal — and says so with the materialization marker, as the bank would.</summary>
    private void RecomputeBalances()
    {
        var balances = new Dictionary<string, long>();
        var lastOf = new Dictionary<string, long>();
        foreach (var entry in _db.Entries.FindAll().OrderBy(e => e.Id))
        {
            foreach (var posting in entry.Postings)
            {
                balances[posting.AccountId] = balances.GetValueOrDefault(posting.AccountId) + posting.Amount;
                lastOf[posting.AccountId] = entry.Id;
            }
        }
        foreach (var account in _db.Accounts.FindAll().ToList())
        {
            account.Balance = balances.GetValueOrDefault(account.Id);
            account.LastSequence = lastOf.GetValueOrDefault(account.Id);
            _db.Accounts.Update(account);
        }
        _db.SetMaterializedThrough(_db.LastEntry()?.Id ?? 0);
    }

    public void Dispose() => _db.Dispose();
}
