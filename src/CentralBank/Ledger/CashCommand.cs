namespace LedgerContrast.CentralBank.Ledger;

/// <summary>Deposit (cash in) or withdrawal (cash out) at the teller.</summary>
public sealed record CashCommand(string Kind, string AccountId, long Amount, Principal Principal, string IdempotencyKey) : LedgerCommand<EntryCommitted>
{
    private protected override LedgerResult<EntryCommitted> Run(CommandExecutor executor) => executor.Cash(this);
}
