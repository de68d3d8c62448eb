using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.Shared.Tests.Rpc;

public class ServerHostTests
{
    [Theory]
    [InlineData("CentralBank listening on http://127.0.0.1:40123 (data: /tmp/b)", "http://127.0.0.1:40123")]
    [InlineData("ChainNode listening on http://127.0.0.1:7101, http://[::1]:7101 (network lc-regtest)", "http://127.0.0.1:7101")]
    [InlineData("[node1] info: something else", null)]
    public void The_start_up_line_names_the_url_a_parent_started_on_port_0_listens_on(string line, string? url) =>
        Assert.Equal(url, ServerHost.ListeningUrl(line));
}
