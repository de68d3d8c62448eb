using LedgerContrast.Contrast.Cli;

return await ContrastCli.RunAsync(args).ConfigureAwait(false);
