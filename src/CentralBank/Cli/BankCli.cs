using System.CommandLine;

namespace LedgerContrast.CentralBank.Cli;

/// <summary>The `bank` executable: the server (`bank serve`) and the client verbs.</summary>
public static class BankCli
{
    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(
            "CentralBank: a client-server bank. One gRPC server holds the authoritative ledger; clients only ask.");
        return root.Parse(args).InvokeAsync();
    }
}
