using LedgerContrast.ChainNode.Cli;

namespace LedgerContrast.ChainNode.Tests.Cli;

public class ChainCliTests
{
    [Fact]
    public async Task Help_describes_the_bank_and_exits_zero()
    {
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, await ChainCli.RunAsync(["--help"]));
        }
        finally
        {
            Console.SetOut(original);
        }
        Assert.Contains("peer-to-peer proof-of-work chain", output.ToString());
    }

    [Fact]
    public async Task An_unknown_verb_exits_non_zero()
    {
        var original = Console.Error;
        Console.SetError(new StringWriter());
        try
        {
            Assert.NotEqual(0, await ChainCli.RunAsync(["no-such-verb"]));
        }
        finally
        {
            Console.SetError(original);
        }
    }
}
