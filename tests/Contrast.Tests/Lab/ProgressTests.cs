using LedgerContrast.Contrast.Lab;

namespace LedgerContrast.Contrast.Tests.Lab;

public class ProgressTests
{
    [Fact]
    public async Task A_long_wait_says_every_ten_seconds_what_it_waits_for_and_what_it_sees()
    {
        var log = new StringWriter();
        var progress = new Progress("partition", log);

        // Done as soon as the word was said: a fixed "done after 10.5 s" lost the race on a busy
        // machine (a 100 ms poll that slept past 10.5 s saw "done" before it spoke).
        await progress.UntilAsync("bob's payment reaching 3 confirmations", () => Task.FromResult(log.ToString().Contains("waiting for", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), () => Task.FromResult("minority at height 41, majority at 44"));

        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.Matches(@"^\[partition +\d+\.\ds\]   … waiting for bob's payment reaching 3 confirmations \(1\d s; minority at height 41, majority at 44\)", line);
    }

    [Fact]
    public void Step_lines_are_padded_so_the_times_line_up()
    {
        var log = new StringWriter();
        new Progress("double-spend", log).Step("one");
        new Progress("forks", log).Step("two");
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines[0].IndexOf("s] ", StringComparison.Ordinal), lines[1].IndexOf("s] ", StringComparison.Ordinal));
        Assert.StartsWith("[forks           0.0s] two", lines[1], StringComparison.Ordinal);
    }
}
