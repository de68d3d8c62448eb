using LedgerContrast.ChainNode.Light;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Shared.Chain;
using LedgerContrast.TestSupport;

namespace LedgerContrast.ChainNode.Tests.Light;

/// <summary>
/// A light client's header chain (issue 26, first part): it checks every header itself and
/// follows only the most work among the nodes it asks, whatever order it asks them in, and
/// keeps 88 bytes a block on disk.
/// </summary>
public sealed class HeaderSyncTests : IDisposable
{
    private readonly string _root = TempDirectory.NewPath("lc-light-");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_node_serving_a_lower_work_chain_is_not_followed_in_whichever_order_the_nodes_are_asked(bool honestFirst)
    {
        await using var network = new TestNetwork();
        var honest = await network.StartNodeAsync([]);
        var other = await network.StartNodeAsync([]); // not connected: a chain of its own
        await honest.MineAsync(30, Keys.Miner);
        await other.MineAsync(20, Keys.Bob);
        var headers = new LightHeaders(honest.Engine.Parameters, _root);
        LightSource[] nodes = honestFirst
            ? [new("honest", honest.Api), new("other", other.Api)]
            : [new("other", other.Api), new("honest", honest.Api)];

        var verdicts = await HeaderSync.SyncAsync(headers, nodes, Now);

        Assert.Equal(honest.Tip.Hash, headers.Tip.Hash);
        Assert.Equal(30u, headers.Tip.Height);
        var fromOther = verdicts.Single(v => v.Node == "other");
        Assert.Equal((20u, !honestFirst, (string?)null), (fromOther.OfferedHeight, fromOther.Followed, fromOther.Refused)); // asked first, it was the most work seen then
        Assert.True(verdicts.Single(v => v.Node == "honest").Followed);
        Assert.Equal(honestFirst ? 0 : 20, verdicts.Single(v => v.Node == "honest").Reorganised);
        Assert.Equal(30 * BlockHeader.EncodedSize, headers.FileBytes);
        Assert.Equal(honest.Tip.Hash, new LightHeaders(honest.Engine.Parameters, _root).Tip.Hash); // as saved
    }

    [Fact]
    public async Task When_another_chain_overtakes_the_light_client_reorganises_onto_it_and_back_never_onto_less_work()
    {
        await using var network = new TestNetwork();
        var a = await network.StartNodeAsync([]);
        var b = await network.StartNodeAsync([]);
        await a.MineAsync(2_500, Keys.Miner); // more than one 2,000-header reply
        var headers = new LightHeaders(a.Engine.Parameters, _root);
        await HeaderSync.SyncAsync(headers, [new("a", a.Api), new("b", b.Api)], Now);
        Assert.Equal(a.Tip.Hash, headers.Tip.Hash);

        await b.MineAsync(2_501, Keys.Bob);
        var verdicts = await HeaderSync.SyncAsync(headers, [new("a", a.Api), new("b", b.Api)], Now);

        Assert.Equal(b.Tip.Hash, headers.Tip.Hash);
        Assert.Equal(2_500, verdicts.Single(v => v.Node == "b").Reorganised);
        Assert.False(verdicts.Single(v => v.Node == "a").Followed);
    }

    private static ulong Now() => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public void Dispose() => TempDirectory.Delete(_root);
}
