namespace LedgerContrast.CentralBank.Ledger;

public sealed record AccountOpened(string AccountId, string CustomerId);
