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
}
