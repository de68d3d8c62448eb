using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Filters;
using LedgerContrast.Shared.Hashing;
using LiteDB;

namespace LedgerContrast.ChainNode.Tests.Api;

/// <summary>
/// Compact block filters as a light client gets them (PROTOCOL.md §9): built when a block
/// connects, over every output's and spent output's key, chained by filter headers, bounded per
/// call, following the active chain through a reorganisation and rebuilt for records written without them.
/// </summary>
public class CompactFilterApiTests
{
    [Fact]
    public async Task A_payments_block_filter_matches_payer_and_payee_and_the_filter_headers_chain_from_genesis()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var node = network[0];
        var funding = await NetworkBlocks.FundAsync(network, node, Keys.Alice);
        var payment = NetworkBlocks.Pay(node, funding, Keys.Alice, Keys.Bob);
        await node.Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = payment.ToProto() });
        var mined = (await node.MineAsync(1, Keys.Miner))[0];
        var height = node.Tip.Height;

        var filters = (await node.Api.GetFiltersAsync(new GetFiltersRequest { StartHeight = 0 })).Filters;
        var headers = await node.Api.GetFilterHeadersAsync(new GetFilterHeadersRequest { StartHeight = 0 });

        Assert.Equal((int)height + 1, filters.Count);
        Assert.Equal(filters.Count, headers.FilterHeaders.Count);
        var previous = new Hash256(headers.PreviousFilterHeader.Span);
        Assert.Equal(Hash256.Zero, previous);
        for (var i = 0; i < filters.Count; i++)
        {
            Assert.Equal(filters[i].BlockHash, headers.BlockHashes[i]);
            var filter = BlockFilter.Decode(new Hash256(filters[i].BlockHash.Span), filters[i].Filter.ToByteArray());
            previous = BlockFilter.NextHeader(filter.Hash, previous);
            Assert.Equal(previous, new Hash256(headers.FilterHeaders[i].Span));
        }
        var paymentBlock = filters.Single(f => new Hash256(f.BlockHash.Span) == mined);
        var decoded = BlockFilter.Decode(mined, paymentBlock.Filter.ToByteArray());
        Assert.True(decoded.MatchesAny([Keys.Bob.PublicKey.ToArray()]));   // an output's key
        Assert.True(decoded.MatchesAny([Keys.Alice.PublicKey.ToArray()])); // the spent output's key
        Assert.True(decoded.MatchesAny([Keys.Miner.PublicKey.ToArray()])); // the coinbase's
        Assert.False(decoded.MatchesAny([Keys.Carol.PublicKey.ToArray()])); // 1 in 784,931 it would: this key is fixed and does not
        Assert.Equal(3, decoded.Count);

        // Ranges: from a height, and bounded.
        var tail = await node.Api.GetFilterHeadersAsync(new GetFilterHeadersRequest { StartHeight = height, Count = 5 });
        Assert.Equal(headers.FilterHeaders[(int)height - 1], tail.PreviousFilterHeader);
        Assert.Single(tail.FilterHeaders);
        Assert.Empty((await node.Api.GetFiltersAsync(new GetFiltersRequest { StartHeight = height + 1 })).Filters);
    }

    [Fact]
    public async Task Filters_are_served_at_most_1000_and_filter_headers_2000_per_call()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var node = network[0];
        await node.MineAsync(2_050, Keys.Miner);

        Assert.Equal(1_000, (await node.Api.GetFiltersAsync(new GetFiltersRequest { StartHeight = 1, Count = 5_000 })).Filters.Count);
        Assert.Equal(2_000, (await node.Api.GetFilterHeadersAsync(new GetFilterHeadersRequest { StartHeight = 1 })).FilterHeaders.Count);
    }

    [Fact]
    public async Task After_a_reorganisation_the_filters_and_headers_are_those_of_the_new_active_chain()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var node = network[0];
        await node.MineAsync(5, Keys.Miner);
        var heavier = await NetworkBlocks.ChainElsewhereAsync(node, 8);
        var before = await node.Api.GetFilterHeadersAsync(new GetFilterHeadersRequest { StartHeight = 0 });

        await node.Engine.SubmitBlocksAsync(heavier);

        Assert.Equal(heavier[^1].Hash, node.Tip.Hash);
        var after = await node.Api.GetFilterHeadersAsync(new GetFilterHeadersRequest { StartHeight = 0 });
        Assert.Equal(heavier.Select(b => b.Hash), after.BlockHashes.Skip(1).Select(h => new Hash256(h.Span)));
        Assert.Equal(before.FilterHeaders[0], after.FilterHeaders[0]); // genesis's is the same everywhere
        Assert.Empty(before.FilterHeaders.Skip(1).Intersect(after.FilterHeaders));
        using var source = new TestNode(node.Engine.Parameters); // the same branch on a node that never saw the other one
        await source.Engine.SubmitBlocksAsync(heavier);
        Assert.Equal(after.FilterHeaders.Select(h => new Hash256(h.Span)), source.Engine.Read(n => n.Chain.ActiveChain.Select(e => e.FilterHeader!.Value).ToList()));
    }

    [Fact]
    public async Task Records_written_without_filters_get_them_rebuilt_at_startup_the_same_as_built_at_connect()
    {
        using var node = new TestNode();
        await node.MineManyAsync(12, Keys.Alice);
        var funding = node.Engine.FindBlockAtHeight(1)!.Value.Block.Transactions[0];
        await node.MineAsync(Keys.Miner, node.Spend(funding, 0, Keys.Alice, (Keys.Bob, 1_000_000)));
        var built = node.Engine.Read(n => n.Chain.ActiveChain.Select(e => e.FilterHeader!.Value).ToList());
        var filtersBuilt = node.Engine.Filters(0, 100).Select(f => Convert.ToHexString(f.Filter.Encoded)).ToList();

        var restarted = node.Restart(whileStopped: directory =>
        {
            // As an earlier release wrote them: no filter, no filter header.
            using var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(directory, "chain.db"), Connection = ConnectionType.Direct });
            var connected = db.GetCollection("connected");
            foreach (var doc in connected.FindAll().ToList())
            {
                doc.Remove("Filter");
                doc.Remove("FilterHeader");
                connected.Update(doc);
            }
        });

        using (restarted)
        {
            Assert.Equal(built, restarted.Engine.Read(n => n.Chain.ActiveChain.Select(e => e.FilterHeader!.Value).ToList()));
            Assert.Equal(filtersBuilt, restarted.Engine.Filters(0, 100).Select(f => Convert.ToHexString(f.Filter.Encoded)).ToList());
        }
    }
}
