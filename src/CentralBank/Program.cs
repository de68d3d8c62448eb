using LedgerContrast.CentralBank.Cli;

return await BankCli.RunAsync(args).ConfigureAwait(false);
