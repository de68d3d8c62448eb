using LedgerContrast.ChainNode.Cli;

return await ChainCli.RunAsync(args).ConfigureAwait(false);
