using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// What one group-commit batch has changed so far: running balances, new customers, keys and
/// reversals. Each command is validated against it, so a command sees its batch neighbours, and
/// a refused command leaves it untouched. Discarded if the batch fails to commit.
/// </summary>
internal sealed class BatchContext(LedgerState state)
{
    public Dictionary<string, AccountView> Accounts { get; } = new(StringComparer.Ordinal);
    public List<(string TokenHash, string CustomerId, string Name)> NewCustomers { get; } = [];
    public HashSet<string> NewCustomerIds { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, IdempotencyDoc> IdempotencyKeys { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Reversed { get; } = new(StringComparer.Ordinal);
    public Dictionary<long, EntryDoc> Entries { get; } = [];
    public KeyLogChanges KeyLog { get; } = new(state.RecentKeys.LastChunk);
    public long LastSequence { get; set; } = state.LastSequence;

    /// <summary>The sequence this batch's first entry gets (or would get).</summary>
    public long FirstSequence { get; } = state.LastSequence + 1;
    public string LastHash { get; set; } = state.LastHash;
    public long CustomerCounter { get; set; } = state.CustomerCounter;
    public long AccountCounter { get; set; } = state.AccountCounter;

    public AccountView? FindAccount(string accountId) =>
        Accounts.TryGetValue(accountId, out var account) ? account : state.FindAccount(accountId);

    public bool CustomerExists(string customerId) => NewCustomerIds.Contains(customerId) || state.CustomerExists(customerId);

    public AccountView RequireAccount(string accountId)
    {
        var account = FindAccount(accountId);
        if (account is null || BankDatabase.IsSystemAccount(accountId))
        {
            throw new RejectionException(Reasons.AccountNotFound, $"Account {accountId} does not exist.");
        }
        return account;
    }

    public void SetBalance(string accountId, long balance) => Accounts[accountId] = FindAccount(accountId)! with { Balance = balance };

    public void SetLastSequence(string accountId, long sequence) => Accounts[accountId] = FindAccount(accountId)! with { LastSequence = sequence };
}
