using LedgerContrast.CentralBank.Audit;
using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// Runs commands inside the writer's open transaction. Each command is validated completely
/// before it writes anything, so a refusal leaves the batch exactly as it was.
/// </summary>
internal sealed class CommandExecutor(BankDatabase db, BatchContext batch, long nowMs, TimeSpan keyRetention, IdempotencyStore keys)
{
    public CustomerCreated CreateCustomer(CreateCustomerCommand command)
    {
        var id = LedgerIds.Customer(++batch.CustomerCounter);
        db.Counters.Upsert(new CounterDoc { Id = "customer", Value = batch.CustomerCounter });
        db.Customers.Insert(new CustomerDoc { Id = id, Name = command.Name, TokenHash = command.TokenHash, CreatedMs = nowMs });
        batch.NewCustomers.Add((command.TokenHash, id, command.Name));
        batch.NewCustomerIds.Add(id);
        return new CustomerCreated(id);
    }

    public AccountOpened OpenAccount(OpenAccountCommand command)
    {
        if (!batch.CustomerExists(command.CustomerId))
        {
            throw new RejectionException(Reasons.CustomerNotFound, $"Customer {command.CustomerId} does not exist.");
        }
        var id = LedgerIds.Account(++batch.AccountCounter);
        db.Counters.Upsert(new CounterDoc { Id = "account", Value = batch.AccountCounter });
        // Written now: no journal entry records an opening, so a replay could not bring it back.
        db.WriteAccount(new AccountDoc { Id = id, CustomerId = command.CustomerId, Balance = 0 });
        batch.Accounts[id] = new AccountView(id, command.CustomerId, 0);
        return new AccountOpened(id, command.CustomerId);
    }

    // Requests that fail validation (unknown account, same account) never consume their idempotency
    // key, as in Stripe: only an outcome of executing — success or a refusal such as
    // INSUFFICIENT_FUNDS — is stored and replayed.
    public LedgerResult<EntryCommitted> Cash(CashCommand command)
    {
        batch.RequireAccount(command.AccountId);
        return Idempotent(command.Principal, command.IdempotencyKey, $"{command.Kind}|{command.AccountId}|{command.Amount}", () =>
        {
            var account = batch.FindAccount(command.AccountId)!;
            var cash = batch.FindAccount(BankDatabase.CashAccountId)!;
            return command.Kind == EntryKinds.Deposit
                ? Post(EntryKinds.Deposit, cash, account, command.Amount, allowNegativeSource: true)
                : Post(EntryKinds.Withdrawal, account, cash, command.Amount, allowNegativeSource: false);
        });
    }

    public LedgerResult<EntryCommitted> Transfer(TransferCommand command)
    {
        if (string.Equals(command.FromAccountId, command.ToAccountId, StringComparison.Ordinal))
        {
            throw new RejectionException(Reasons.SameAccount, "The source and destination account are the same.");
        }
        batch.RequireAccount(command.FromAccountId);
        batch.RequireAccount(command.ToAccountId);
        return Idempotent(command.Principal, command.IdempotencyKey, $"TRANSFER|{command.FromAccountId}|{command.ToAccountId}|{command.Amount}", () =>
            Post(EntryKinds.Transfer, batch.FindAccount(command.FromAccountId)!, batch.FindAccount(command.ToAccountId)!, command.Amount, allowNegativeSource: false));
    }

    private EntryCommitted Post(string kind, AccountView from, AccountView to, long amount, bool allowNegativeSource)
    {
        if (amount <= 0)
        {
            throw new RejectionException(Reasons.InvalidAmount, "The amount must be more than zero.");
        }
        if (!allowNegativeSource && from.Balance < amount)
        {
            throw new RejectionException(Reasons.InsufficientFunds,
                $"Account {from.AccountId} holds {Format(from.Balance)}, less than {Format(amount)}.");
        }
        // Both sides are checked, system accounts too: @cash goes negative by design, and a wrapped
        // @cash would still balance the journal while every total built on it is nonsense.
        var toBalance = CheckedAdd(to.Balance, amount, to.AccountId);
        var fromBalance = CheckedAdd(from.Balance, -amount, from.AccountId);
        var entry = Append(kind, [new PostingDoc { AccountId = from.AccountId, Amount = -amount }, new PostingDoc { AccountId = to.AccountId, Amount = amount }], "", "");
        batch.SetBalance(from.AccountId, fromBalance);
        batch.SetBalance(to.AccountId, toBalance);
        return new EntryCommitted(LedgerIds.Entry(entry.Id), entry.Id, fromBalance, toBalance, entry.TimeMs, entry.Hash);
    }

    public EntryCommitted Reverse(ReverseCommand command)
    {
        if (!LedgerIds.TryParseEntry(command.EntryId, out var sequence))
        {
            throw new RejectionException(Reasons.InvalidArgument, $"'{command.EntryId}' is not an entry id; entry ids look like e-42.");
        }
        var originalId = LedgerIds.Entry(sequence);
        var original = batch.Entries.GetValueOrDefault(sequence) ?? db.Entries.FindById(sequence)
            ?? throw new RejectionException(Reasons.EntryNotFound, $"Entry {originalId} does not exist.");
        if (original.Kind != EntryKinds.Transfer)
        {
            throw new RejectionException(Reasons.NotReversible, $"Entry {originalId} is a {original.Kind.ToLowerInvariant()}; only transfers can be reversed.");
        }
        var reversedBy = batch.Reversed.GetValueOrDefault(originalId) ?? db.Reversals.FindById(originalId)?.ReversalEntryId;
        if (reversedBy is not null)
        {
            throw new RejectionException(Reasons.AlreadyReversed, $"Entry {originalId} was already reversed by {reversedBy}.");
        }
        var amount = original.Postings.Single(p => p.Amount > 0).Amount;
        var receiver = batch.FindAccount(original.Postings.Single(p => p.Amount > 0).AccountId)!;
        var sender = batch.FindAccount(original.Postings.Single(p => p.Amount < 0).AccountId)!;
        var shortfall = Math.Max(0, amount - receiver.Balance);
        if (shortfall > 0 && !command.Force)
        {
            throw new RejectionException(Reasons.ReversalInsufficientFunds,
                $"Account {receiver.AccountId} holds {Format(receiver.Balance)}, less than the {Format(amount)} to take back; use force to have the bank cover the difference.");
        }
        var senderBalance = CheckedAdd(sender.Balance, amount, sender.AccountId);
        var writeOff = batch.FindAccount(BankDatabase.WriteOffAccountId)!;
        var writeOffBalance = CheckedAdd(writeOff.Balance, -shortfall, writeOff.AccountId);
        // Overdraft-to-bank: the receiver gives back what it has; the bank's write-off account covers the rest.
        List<PostingDoc> postings = [new PostingDoc { AccountId = receiver.AccountId, Amount = -(amount - shortfall) }];
        if (shortfall > 0)
        {
            postings.Add(new PostingDoc { AccountId = BankDatabase.WriteOffAccountId, Amount = -shortfall });
            batch.SetBalance(writeOff.AccountId, writeOffBalance);
        }
        postings.Add(new PostingDoc { AccountId = sender.AccountId, Amount = amount });
        var entry = Append(EntryKinds.Reversal, postings, originalId, command.Memo);
        var receiverBalance = receiver.Balance - (amount - shortfall);
        batch.SetBalance(receiver.AccountId, receiverBalance);
        batch.SetBalance(sender.AccountId, senderBalance);
        var reversalId = LedgerIds.Entry(entry.Id);
        db.Reversals.Insert(new ReversalDoc { Id = originalId, ReversalEntryId = reversalId });
        batch.Reversed[originalId] = reversalId;
        return new EntryCommitted(reversalId, entry.Id, receiverBalance, senderBalance, entry.TimeMs, entry.Hash);
    }

    private EntryDoc Append(string kind, List<PostingDoc> postings, string reverses, string memo)
    {
        var sequence = batch.LastSequence + 1;
        foreach (var posting in postings)
        {
            posting.Previous = batch.FindAccount(posting.AccountId)!.LastSequence;
            batch.SetLastSequence(posting.AccountId, sequence);
        }
        var entry = new EntryDoc
        {
            Id = sequence,
            Kind = kind,
            Postings = postings,
            TimeMs = nowMs,
            ReversesEntryId = reverses,
            Memo = memo,
            PrevHash = batch.LastHash,
        };
        entry.Hash = EntryHasher.Compute(entry);
        db.InsertEntry(entry);
        batch.LastSequence = entry.Id;
        batch.LastHash = entry.Hash;
        batch.Entries[entry.Id] = entry;
        return entry;
    }

    /// <summary>
    /// Same key + same request → the stored outcome (a refusal too); same key + another request →
    /// IDEMPOTENCY_KEY_REUSED. Keys are scoped to the caller, so two customers never collide.
    /// </summary>
    private LedgerResult<EntryCommitted> Idempotent(Principal principal, string key, string fingerprint, Func<EntryCommitted> execute)
    {
        if (key.Length == 0)
        {
            return execute();
        }
        var id = principal.Scope + ":" + key;
        var found = batch.IdempotencyKeys.TryGetValue(id, out var inBatch) ? default : keys.Find(id, nowMs, batch.KeyLog);
        var stored = inBatch ?? found.Record;
        if (stored is not null && (inBatch is not null || stored.CreatedMs >= nowMs - (long)keyRetention.TotalMilliseconds))
        {
            if (!string.Equals(stored.Fingerprint, fingerprint, StringComparison.Ordinal))
            {
                throw new RejectionException(Reasons.IdempotencyKeyReused,
                    $"Idempotency key '{key}' was already used for a different request.");
            }
            return stored.RejectReason.Length > 0
                ? new Rejection(stored.RejectReason, stored.RejectMessage)
                : new EntryCommitted(stored.EntryId, stored.Sequence, stored.FromBalance, stored.ToBalance, stored.CommittedMs, stored.EntryHash);
        }
        var record = new IdempotencyDoc { Id = id, Fingerprint = fingerprint, CreatedMs = nowMs };
        LedgerResult<EntryCommitted> outcome;
        try
        {
            var committed = execute();
            (record.EntryId, record.Sequence, record.FromBalance, record.ToBalance, record.CommittedMs, record.EntryHash) =
                (committed.EntryId, committed.Sequence, committed.FromBalance, committed.ToBalance, committed.CommittedMs, committed.EntryHash);
            outcome = committed;
        }
        catch (RejectionException rejected)
        {
            (record.RejectReason, record.RejectMessage) = (rejected.Rejection.Reason, rejected.Rejection.Message);
            outcome = rejected.Rejection;
        }
        keys.Store(record, found, nowMs, batch.KeyLog);
        batch.IdempotencyKeys[id] = record;
        return outcome;
    }

    /// <summary>A balance change that would leave the 64-bit range is refused before anything is written.</summary>
    private static long CheckedAdd(long balance, long change, string accountId)
    {
        var result = (Int128)balance + change;
        if (result > long.MaxValue || result < long.MinValue)
        {
            throw new RejectionException(Reasons.BalanceOverflow,
                change > 0 ? $"Account {accountId} cannot hold more money." : $"Account {accountId} cannot record a larger debit.");
        }
        return (long)result;
    }

    private static string Format(long minorUnits) => LedgerContrast.Shared.Money.Amount.FromMinorUnits(minorUnits).ToString();
}
