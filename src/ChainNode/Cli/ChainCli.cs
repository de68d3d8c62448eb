using System.CommandLine;

namespace LedgerContrast.ChainNode.Cli;

/// <summary>The `chain` executable: a peer-to-peer node (`chain node`) and the wallet and client verbs.</summary>
public static class ChainCli
{
    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(
            "ChainNode: a peer-to-peer proof-of-work chain. Equal nodes gossip transactions and blocks; consensus by most work.");
        return root.Parse(args).InvokeAsync();
    }
}
