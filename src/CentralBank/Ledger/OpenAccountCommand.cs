namespace LedgerContrast.CentralBank.Ledger;

public sealed record OpenAccountCommand(string CustomerId) : LedgerCommand<AccountOpened>
{
    private protected override LedgerResult<AccountOpened> Run(CommandExecutor executor) => executor.OpenAccount(this);
}
