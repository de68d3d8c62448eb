using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// Account balances that are durable in the journal but not yet written to the account
/// collection. Every batch used to rewrite the account pages it touched — under uniform load
/// nearly all of them, every batch — which cost about as much as the journal itself (`bank bench`,
/// one round each with writes switched off: 7.7k transfers/s without the account writes, 5.7k
/// with them; 12k with only them). So balances are written every
/// <see cref="EveryEntries"/> entries, in that batch's own transaction, with the marker that says
/// which entry they reflect; an account touched by hundreds of transfers is written once. After a
/// crash the balances are the collection plus a replay of the journal after the marker
/// (<see cref="LedgerState.Load"/>), and `bank audit` compares the collection with the journal
/// up to the marker.
/// <para>
/// Idempotency keys are not deferred: a key must be findable the moment its request is answered.
/// They are appended to the key log with their batch, which is cheap (<see cref="IdempotencyStore"/>).
/// </para>
/// <para>Used by the writer thread only.</para>
/// </summary>
public sealed class Materialization
{
    public const int EveryEntries = 4096;

    internal Materialization(long through) => Through = through;

    /// <summary>The last journal entry the account collection reflects.</summary>
    public long Through { get; private set; }

    internal Dictionary<string, AccountView> Accounts { get; } = new(StringComparer.Ordinal);

    internal bool IsDue(long lastSequence) => lastSequence - Through >= EveryEntries;

    /// <summary>Writes every pending balance plus <paramref name="batch"/>'s and moves the marker, inside the open transaction.</summary>
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
        db.SetMaterializedThrough(batch.LastSequence);
    }

    /// <summary>After a durable batch: either everything was written (<paramref name="written"/>) or the batch's balances wait with the rest.</summary>
    internal void Committed(BatchContext batch, bool written)
    {
        if (written)
        {
            Accounts.Clear();
            Through = batch.LastSequence;
            return;
        }
        foreach (var (id, account) in batch.Accounts)
        {
            Accounts[id] = account;
        }
    }

    internal void Replayed(AccountView account) => Accounts[account.AccountId] = account;

    private static AccountDoc ToDoc(AccountView account) =>
        new() { Id = account.AccountId, CustomerId = account.CustomerId, Balance = account.Balance, LastSequence = account.LastSequence };
}
