namespace LedgerContrast.CentralBank.Ledger;

public sealed record ReverseCommand(string EntryId, string Memo, bool Force, Principal Principal) : LedgerCommand<EntryCommitted>
{
    private protected override LedgerResult<EntryCommitted> Run(CommandExecutor executor) => executor.Reverse(this);
}
