namespace LedgerContrast.CentralBank.Ledger;

public sealed record CustomerCreated(string CustomerId);
