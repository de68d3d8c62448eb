using LedgerContrast.Contrast.Emulation;
using LedgerContrast.Shared.Cli;
using LedgerContrast.TestSupport;
using static LedgerContrast.Shared.Cli.NetworkFile;

namespace LedgerContrast.Contrast.Tests.Emulation;

/// <summary>What an emulated link is told, read as tc and nftables read it, and every mistake refused in one sentence before anything is built.</summary>
public sealed class LinkShapeTests
{
    [Theory]
    [InlineData("10mbit", 10_000_000L)]
    [InlineData("1.5mbit", 1_500_000L)]
    [InlineData("500kbit", 500_000L)]
    [InlineData("1gbit", 1_000_000_000L)]
    [InlineData("", 0L)]
    [InlineData("0", 0L)]
    public void Rates_are_read_in_tcs_units_bits_per_second_in_powers_of_ten(string text, long bits) =>
        Assert.Equal(bits, LinkShape.ParseBandwidth(text));

    [Theory]
    [InlineData("10MB")]
    [InlineData("fast")]
    [InlineData("1kbit")] // below 8 kbit: tbf's bucket could not hold a frame
    [InlineData("20gbit")]
    public void A_rate_tc_would_misread_or_refuse_is_one_sentence(string text)
    {
        var error = Assert.Throws<CliException>(() => LinkShape.ParseBandwidth(text));
        Assert.Equal("INVALID_ARGUMENT", error.Reason);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loss_and_delay_read_as_a_share_and_a_duration_and_a_link_says_what_it_computes()
    {
        var link = LinkShape.Parse("1mbit", "0.5%", "50ms");
        Assert.Equal((1_000_000L, 0.005, TimeSpan.FromMilliseconds(50)), (link.BitsPerSecond, link.Loss, link.Delay));
        Assert.Equal(0.8, link.SecondsFor(100_000), 9); // 100 kB over 1 Mbit/s: the computed floor the emulated test measures against
        Assert.Equal("1mbit, 0.5% loss, 50ms delay", link.ToString());
        Assert.Equal(link, LinkShape.Of(new EmulatedLink { Bandwidth = link.BandwidthText, Loss = link.LossText, Delay = link.DelayText }));
        Assert.Equal("INVALID_ARGUMENT", Assert.Throws<CliException>(() => LinkShape.ParseLoss("0.5")).Reason); // a share needs its %
        Assert.Equal("INVALID_ARGUMENT", Assert.Throws<CliException>(() => LinkShape.ParseLoss("101%")).Reason);
        Assert.Equal("INVALID_ARGUMENT", Assert.Throws<CliException>(() => LinkShape.ParseDelay("11s")).Reason);
    }

    [Fact]
    public void A_partition_names_two_sides_of_known_members_and_no_member_on_both()
    {
        var emulation = new NetworkEmulation
        {
            Name = "lc1",
            SwitchNamespace = "lc1-switch",
            Members = [new() { Name = "node1", Address = "10.0.0.2" }, new() { Name = "node2", Address = "10.0.0.3" }],
        };
        Assert.Contains("both sides", Assert.Throws<CliException>(() => EmulatedNetwork.Cut(emulation, ["node1"], ["node1", "node2"])).Message, StringComparison.Ordinal);
        Assert.Contains("at least one member on each side", Assert.Throws<CliException>(() => EmulatedNetwork.Cut(emulation, ["node1"], [])).Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<CliException>(() => EmulatedNetwork.Cut(emulation, ["node1"], ["bank"]));
        Assert.Equal("UNKNOWN_MEMBER", unknown.Reason);
        Assert.Contains("node1, node2", unknown.Message, StringComparison.Ordinal); // says which members there are
    }

    [Fact]
    public void Names_that_would_not_fit_an_interface_name_or_a_namespace_are_refused_before_anything_is_built()
    {
        foreach (var name in new[] { "Node1", "a-very-long-name", "-x", "x y", "" })
        {
            Assert.Equal("INVALID_ARGUMENT", Assert.Throws<CliException>(() => EmulatedNetwork.Up("lct", 7100, [name], LinkShape.Unlimited)).Reason);
        }
        Assert.Equal("INVALID_ARGUMENT", Assert.Throws<CliException>(() => EmulatedNetwork.Up("lct", 7100, ["a", "a"], LinkShape.Unlimited)).Reason);
        Assert.Equal("10.27.188", EmulatedNetwork.PrefixOf(7100)); // 7100 = 0x1bbc: each base port its own /24
    }

    [ProcFact]
    public async Task Without_root_the_emulated_network_is_one_sentence_saying_what_it_needs()
    {
        // As an ordinary user (nobody), where this test runs as root; as itself otherwise.
        string[] asNobody = Environment.IsPrivilegedProcess ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "DOTNET_CLI_HOME=/tmp", "HOME=/tmp"] : ["env"];
        var run = await ExternalProcess.RunAsync(asNobody[0], [.. asNobody[1..], "dotnet", Path.Combine(AppContext.BaseDirectory, "contrast.dll"), "emulate", "up", "--name", "lct", "--base-port", "7100", "--members", "a"]);
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("The emulated network needs root (it creates network namespaces, virtual links and nftables rules): run it with sudo, or without -Emulate.", run.Stderr.Trim());
    }
}
