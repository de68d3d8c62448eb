using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// Account balances that are durable in the journal but not yet written to the account
/// collection. Every batch used to rewrite the account pages it touched — under uniform load
/// nearly all of them, every batch — which cost about as much as the journal itself (`bank bench`,
/// one round each with writes switched off: 7.7k transfers/s without the account writes, 5.7k
/// with them; 12k with only them). So an account's balance is written once it has waited
/// <see cref="AfterEntries"/> entries since it changed, oldest first, at most
/// <see cref="MaxAccountsPerBatch"/> a batch, in that batch's own transaction: an account touched
/// by hundreds of transfers is written once, and no batch stalls to write them all (writing every
/// pending account at once every 4,096 entries stalled that batch 10–14 ms with 1,000 accounts,
/// and would grow with the accounts a bank has).
/// <para>
/// A written account document carries its newest entry (<see cref="AccountDoc.LastSequence"/>),
/// and its balance reflects exactly the entries up to it. The marker (<see cref="Through"/>) is
/// the last entry every account document reflects: the entry before the oldest pending change.
/// After a crash the balances are the collection plus a replay of the journal after the marker,
/// skipping what a document already reflects (<see cref="LedgerState.Load"/>); `bank audit`
/// compares each stored balance with the journal up to that account's own entry.
/// </para>
/// <para>
/// Idempotency keys are not deferred: a key must be findable the moment its request is answered.
/// They are appended to the key log with their batch, which is cheap (<see cref="IdempotencyStore"/>).
/// </para>
/// <para>Used by the writer thread only.</para>
/// </summary>
public sealed class Materialization
{
    /// <summary>
    /// How long a balance waits by default. Under uniform load every account changes every few
    /// hundred entries, so the wait sets how often each is rewritten: at 4,096, about one account
    /// write per 4.5 entries (computed; the account upserts were 5% of the server's CPU samples,
    /// perf). A longer wait costs start-up: it replays the journal after the marker, which trails
    /// the oldest pending change — about this many entries.
    /// </summary>
    public const int DefaultAfterEntries = 16_384;
    public const int MaxAccountsPerBatch = 64;
    private const int MarkerStep = 1024;

    private readonly Dictionary<string, PendingAccount> _pending = new(StringComparer.Ordinal);

    // First-change order: written from the front, so the front is always the oldest pending change.
    private readonly LinkedList<string> _order = new();

    internal Materialization(long through, int afterEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(afterEntries, 1);
        (Through, AfterEntries) = (through, afterEntries);
    }

    /// <summary>Entries an account's balance waits, after it changed, before its document is written.</summary>
    public int AfterEntries { get; }

    /// <summary>The last journal entry every account document reflects.</summary>
    public long Through { get; private set; }

    /// <summary>Accounts whose balance is in the journal only.</summary>
    public int Pending => _pending.Count;

    /// <summary>
    /// Inside the batch's transaction: writes the accounts that have waited long enough (their
    /// state after this batch) and moves the marker. Returns what was written, for <see cref="Committed"/>.
    /// </summary>
    internal Written Write(BankDatabase db, BatchContext batch)
    {
        var written = new List<string>();
        for (var node = _order.First; node is not null && written.Count < MaxAccountsPerBatch; node = node.Next)
        {
            var pending = _pending[node.Value];
            if (pending.FirstChange > batch.LastSequence - AfterEntries)
            {
                break;
            }
            db.WriteAccount(ToDoc(batch.Accounts.GetValueOrDefault(node.Value) ?? pending.Account));
            written.Add(node.Value);
        }
        var oldestLeft = _order.Skip(written.Count).Select(id => _pending[id].FirstChange).FirstOrDefault();
        var newlyPending = batch.Accounts.Keys.Any(id => !_pending.ContainsKey(id));
        var through = oldestLeft > 0 ? oldestLeft - 1 : newlyPending ? batch.FirstSequence - 1 : batch.LastSequence;
        // A marker behind the truth only makes start-up replay more (what a document reflects is
        // skipped), so it is written when it has moved a good way, not with every batch.
        if (through - Through < MarkerStep)
        {
            return new Written(written, Through);
        }
        db.SetMaterializedThrough(through);
        return new Written(written, through);
    }

    /// <summary>After a durable batch: what was written is no longer pending; the batch's other changes are.</summary>
    internal void Committed(BatchContext batch, Written written)
    {
        foreach (var id in written.Accounts)
        {
            _pending.Remove(id);
            _order.RemoveFirst();
        }
        var writtenNow = written.Accounts.Count == 0 ? null : written.Accounts.ToHashSet(StringComparer.Ordinal); // most batches write none
        foreach (var (id, account) in batch.Accounts)
        {
            if (writtenNow?.Contains(id) != true)
            {
                Pend(account, batch.FirstSequence);
            }
        }
        Through = written.Through;
    }

    /// <summary>At start-up: an account changed by the journal after its document, from <paramref name="sequence"/> on.</summary>
    internal void Replayed(AccountView account, long sequence) => Pend(account, sequence);

    private void Pend(AccountView account, long firstChange)
    {
        if (_pending.TryGetValue(account.AccountId, out var pending))
        {
            _pending[account.AccountId] = pending with { Account = account };
            return;
        }
        _pending[account.AccountId] = new PendingAccount(account, firstChange);
        _order.AddLast(account.AccountId);
    }

    private static AccountDoc ToDoc(AccountView account) =>
        new() { Id = account.AccountId, CustomerId = account.CustomerId, Balance = account.Balance, LastSequence = account.LastSequence };

    private sealed record PendingAccount(AccountView Account, long FirstChange);

    internal sealed record Written(IReadOnlyList<string> Accounts, long Through);
}
