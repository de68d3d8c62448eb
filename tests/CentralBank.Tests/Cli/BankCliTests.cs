using LedgerContrast.CentralBank.Cli;

namespace LedgerContrast.CentralBank.Tests.Cli;

public class BankCliTests
{
    [Fact]
    public async Task Help_describes_the_bank_and_exits_zero()
    {
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, await BankCli.RunAsync(["--help"]));
        }
        finally
        {
            Console.SetOut(original);
        }
        Assert.Contains("client-server bank", output.ToString());
    }

    [Fact]
    public async Task An_unknown_verb_exits_non_zero()
    {
        var original = Console.Error;
        Console.SetError(new StringWriter());
        try
        {
            Assert.NotEqual(0, await BankCli.RunAsync(["no-such-verb"]));
        }
        finally
        {
            Console.SetError(original);
        }
    }

    [Fact]
    public async Task Help_offers_the_client_options_only_on_verbs_that_use_them_and_says_which_bank_is_the_default()
    {
        var bench = await HelpOfAsync("bench");
        var transfer = await HelpOfAsync("transfer");
        // bench's own --server drives an existing bank instead of the one it starts; no customer options.
        Assert.Contains("instead of starting one", bench, StringComparison.Ordinal);
        Assert.DoesNotContain("--as", bench, StringComparison.Ordinal);
        Assert.Contains("--server", transfer, StringComparison.Ordinal);
        Assert.Contains("its bank from .network/network.json", transfer.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static async Task<string> HelpOfAsync(string verb)
    {
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, await BankCli.RunAsync([verb, "--help"]));
        }
        finally
        {
            Console.SetOut(original);
        }
        return output.ToString();
    }
}
