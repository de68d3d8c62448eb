namespace LedgerContrast.CentralBank.Ledger;

public sealed record CreateCustomerCommand(string Name, string TokenHash) : LedgerCommand<CustomerCreated>
{
    private protected override LedgerResult<CustomerCreated> Run(CommandExecutor executor) => executor.CreateCustomer(this);
}
