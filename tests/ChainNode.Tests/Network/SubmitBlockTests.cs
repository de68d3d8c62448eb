using Grpc.Core;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Rpc;
using Block = LedgerContrast.Shared.Chain.Block;

namespace LedgerContrast.ChainNode.Tests.Network;

/// <summary>A miner written elsewhere submits blocks through the node API and hears each refusal's rule.</summary>
public class SubmitBlockTests
{
    [Fact]
    public async Task A_valid_block_is_accepted_onto_the_active_chain_and_a_second_submission_is_already_known()
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);
        var block = NetworkBlocks.On(node);

        var first = await node.Api.SubmitBlockAsync(new SubmitBlockRequest { Block = block.ToProto() });
        var again = await node.Api.SubmitBlockAsync(new SubmitBlockRequest { Block = block.ToProto() });

        Assert.Equal((SubmitBlockReply.Types.Outcome.Accepted, true), (first.Outcome, first.OnActiveChain));
        Assert.Equal(SubmitBlockReply.Types.Outcome.AlreadyKnown, again.Outcome);
        Assert.Equal(block.Hash, node.Tip.Hash);
    }

    public static TheoryData<string> Refusals => ["BLOCK_BAD_MERKLE_ROOT", "BLOCK_HIGH_HASH", "BLOCK_COINBASE_PAYS_TOO_MUCH", "BLOCK_TIME_TOO_NEW", "BLOCK_COINBASE_HEIGHT", "BLOCK_BAD_TARGET"];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_block_that_breaks_a_rule_is_refused_with_that_rules_reason_and_the_tip_stays(string reason)
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);
        await node.MineAsync(1, Keys.Miner);
        var tip = node.Tip.Hash;

        var error = await Assert.ThrowsAsync<RpcException>(async () => await node.Api.SubmitBlockAsync(new SubmitBlockRequest { Block = Breaking(node, reason).ToProto() }));

        Assert.Equal((StatusCode.InvalidArgument, reason), (error.StatusCode, RpcErrors.Describe(error).Reason));
        Assert.Equal(tip, node.Tip.Hash);
    }

    [Fact]
    public async Task A_block_whose_parent_is_unknown_is_kept_as_an_orphan()
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);
        var valid = NetworkBlocks.On(node);
        var orphan = NetworkBlocks.Mine(new Block(valid.Header with { PreviousHash = Hash256.Parse(new string('5', 64)) }, valid.Transactions));

        var reply = await node.Api.SubmitBlockAsync(new SubmitBlockRequest { Block = orphan.ToProto() });

        Assert.Equal((SubmitBlockReply.Types.Outcome.Orphan, false), (reply.Outcome, reply.OnActiveChain));
    }

    private static Block Breaking(NetworkNode node, string reason) => reason switch
    {
        "BLOCK_BAD_MERKLE_ROOT" => NetworkBlocks.Mine(NetworkBlocks.On(node) is var b ? new Block(b.Header with { MerkleRoot = Hash256.Parse(new string('7', 64)) }, b.Transactions) : null!),
        "BLOCK_HIGH_HASH" => FailingWork(NetworkBlocks.On(node)),
        "BLOCK_COINBASE_PAYS_TOO_MUCH" => NetworkBlocks.On(node, coinbaseAmount: node.Engine.Parameters.BlockReward + Amount.FromUnits(1)),
        "BLOCK_TIME_TOO_NEW" => NetworkBlocks.On(node, timeMs: (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_600_000),
        "BLOCK_COINBASE_HEIGHT" => WithCoinbaseHeight(node, 99),
        "BLOCK_BAD_TARGET" => NetworkBlocks.Mine(NetworkBlocks.On(node) is var t ? new Block(t.Header with { Bits = Target.ToCompact(Target.FromCompact(t.Header.Bits) / 2) }, t.Transactions) : null!),
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    private static Block WithCoinbaseHeight(NetworkNode node, uint height)
    {
        var valid = NetworkBlocks.On(node);
        List<Shared.Chain.Transaction> txs = [Shared.Chain.Transaction.CreateCoinbase(height, [.. valid.Transactions[0].Outputs])];
        return NetworkBlocks.Mine(new Block(valid.Header with { MerkleRoot = MerkleTree.ComputeRoot([.. txs.Select(t => t.Wtxid)]) }, txs));
    }

    /// <summary>The same block with a nonce whose hash misses the target.</summary>
    private static Block FailingWork(Block block)
    {
        var target = Target.FromCompact(block.Header.Bits);
        for (ulong nonce = 0; ; nonce++)
        {
            var candidate = block.Header with { Nonce = nonce };
            if (!Target.MeetsTarget(candidate.Hash, target))
            {
                return new Block(candidate, block.Transactions);
            }
        }
    }
}
