namespace LedgerContrast.CentralBank.Ledger;

public sealed record TransferCommand(string FromAccountId, string ToAccountId, long Amount, Principal Principal, string IdempotencyKey) : LedgerCommand<EntryCommitted>
{
    private protected override LedgerResult<EntryCommitted> Run(CommandExecutor executor) => executor.Transfer(this);
}
