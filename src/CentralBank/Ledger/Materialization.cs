using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// Balances and idempotency keys that are durable in the journal but not yet written to the
/// account and key collections. Writing them with every batch cost more than the journal itself:
/// each key lands at a random place in the key index, dirtying several 8 KB pages, and every
/// batch rewrote the same account pages (measured with `bank bench`: 5.7k transfers/s with them,
/// 13–16k with the journal alone). So every <see cref="EveryEntries"/> entries they are written
/// in one go, in the batch's own transaction, with the marker that says how far the collections
/// reach; pages touched many times are then written once. After a crash the state is the
/// collections plus a replay of the journal after the marker (<see cref="LedgerState.Load"/>),
/// and `bank audit` compares the collections with the journal up to the marker.
/// <para>Used by the writer thread only.</para>
/// </summary>
public sealed class Materialization
{
    public const int EveryEntries = 1024;

    public long Through { get; private set; }

    internal Dictionary<string, AccountView> Accounts { get; } = new(StringComparer.Ordinal);

    internal Dictionary<string, IdempotencyDoc> Keys { get; } = new(StringComparer.Ordinal);

    /// <summary>Pending keys that replace an expired record in the collection: updated, not inserted.</summary>
    internal HashSet<string> KeysOnDisk { get; } = new(StringComparer.Ordinal);

    internal Materialization(long through) => Through = through;

    public int PendingKeys => Keys.Count;

    internal bool IsDue(long lastSequence) => lastSequence - Through >= EveryEntries;

    /// <summary>Writes everything pending plus <paramref name="batch"/>'s changes and moves the marker, inside the open transaction.</summary>
    internal void Write(BankDatabase db, BatchContext batch)
    {
        foreach (var (id, account) in Accounts)
        {
            if (!batch.Accounts.ContainsKey(id))
            {
                db.WriteAccount(ToDoc(account));
            }
        }
        foreach (var account in batch.Accounts.Values)
        {
            db.WriteAccount(ToDoc(account));
        }
        // In key order: each insert then searches the index next to the last one, on pages
        // already in the transaction, instead of all over the index.
        foreach (var (id, key) in Keys.Concat(batch.PendingKeys).OrderBy(k => k.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (KeysOnDisk.Contains(id) || batch.KeysOnDisk.Contains(id))
            {
                db.UpdateKey(key);
            }
            else
            {
                db.InsertKey(key);
            }
        }
        db.SetMaterializedThrough(batch.LastSequence);
    }

    /// <summary>After a durable batch: either everything was written (<paramref name="written"/>) or the batch's changes wait with the rest.</summary>
    internal void Committed(BatchContext batch, bool written)
    {
        if (written)
        {
            Accounts.Clear();
            Keys.Clear();
            KeysOnDisk.Clear();
            Through = batch.LastSequence;
            return;
        }
        foreach (var (id, account) in batch.Accounts)
        {
            Accounts[id] = account;
        }
        foreach (var (id, key) in batch.PendingKeys)
        {
            Keys[id] = key;
        }
        KeysOnDisk.UnionWith(batch.KeysOnDisk);
    }

    internal void Replayed(AccountView account) => Accounts[account.AccountId] = account;

    internal void Replayed(IdempotencyDoc key, bool onDisk)
    {
        Keys[key.Id] = key;
        if (onDisk)
        {
            KeysOnDisk.Add(key.Id);
        }
    }

    private static AccountDoc ToDoc(AccountView account) =>
        new() { Id = account.AccountId, CustomerId = account.CustomerId, Balance = account.Balance, LastSequence = account.LastSequence };
}

/// <summary>What an idempotency key remembers about its request, so a reuse for another request is caught.</summary>
internal static class RequestFingerprint
{
    public static string Transfer(string from, string to, long amount) => $"TRANSFER|{from}|{to}|{amount}";

    public static string Cash(string kind, string accountId, long amount) => $"{kind}|{accountId}|{amount}";

    /// <summary>The fingerprint of the request that produced <paramref name="entry"/> (a transfer, deposit or withdrawal).</summary>
    public static string Of(EntryDoc entry)
    {
        var from = entry.Postings[0];
        var to = entry.Postings[1];
        return entry.Kind switch
        {
            EntryKinds.Transfer => Transfer(from.AccountId, to.AccountId, to.Amount),
            EntryKinds.Deposit => Cash(entry.Kind, to.AccountId, to.Amount),
            EntryKinds.Withdrawal => Cash(entry.Kind, from.AccountId, to.Amount),
            _ => throw new InvalidOperationException($"Entry {entry.Id} ({entry.Kind}) cannot carry an idempotency key."),
        };
    }
}
