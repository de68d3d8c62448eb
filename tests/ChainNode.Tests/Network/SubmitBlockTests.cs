using Grpc.Core;
using LedgerContrast.ChainNode.Api;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Rpc;
using Block = LedgerContrast.Shared.Chain.Block;
using BlockHeader = LedgerContrast.Shared.Chain.BlockHeader;
using OutPoint = LedgerContrast.Shared.Chain.OutPoint;
using TxInput = LedgerContrast.Shared.Chain.TxInput;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

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

    [Fact]
    public async Task A_coinbase_signature_is_the_miners_to_fill_an_extra_nonce_is_accepted()
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);
        var template = NetworkBlocks.On(node);
        var coinbase = template.Transactions[0];
        var tagged = new Shared.Chain.Transaction(coinbase.Version, [coinbase.Inputs[0] with { Signature = Enumerable.Range(1, 64).Select(i => (byte)i).ToArray() }], coinbase.Outputs);
        var block = NetworkBlocks.Mine(new Block(template.Header with { MerkleRoot = MerkleTree.ComputeRoot([tagged.Wtxid]) }, [tagged]));

        var reply = await node.Api.SubmitBlockAsync(new SubmitBlockRequest { Block = block.ToProto() });

        Assert.Equal((SubmitBlockReply.Types.Outcome.Accepted, true), (reply.Outcome, reply.OnActiveChain));
        Assert.Equal(coinbase.Txid, tagged.Txid); // outside the txid, inside the wtxid and so the merkle root
    }

    /// <summary>Every block rule of docs/PROTOCOL.md §8 (and one transaction rule inside a block).</summary>
    public static TheoryData<string> Refusals =>
    [
        "BLOCK_BAD_VERSION", "BLOCK_HIGH_HASH", "BLOCK_BAD_TARGET", "BLOCK_BAD_MERKLE_ROOT", "BLOCK_NO_COINBASE", "BLOCK_MULTIPLE_COINBASE",
        "BLOCK_TOO_MANY_TRANSACTIONS", "BLOCK_OVERSIZE", "BLOCK_DUPLICATE_TRANSACTION", "BLOCK_DOUBLE_SPEND", "BLOCK_TIME_TOO_OLD",
        "BLOCK_TIME_TOO_NEW", "BLOCK_COINBASE_HEIGHT", "BLOCK_COINBASE_PAYS_TOO_MUCH", "BLOCK_INVALID_PARENT", "BLOCK_INSUFFICIENT_WORK",
        "TX_MISSING_INPUT",
    ];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_block_that_breaks_a_rule_is_refused_with_that_rules_reason_and_status_and_the_tip_stays(string reason)
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);
        await node.MineAsync(reason == "BLOCK_INSUFFICIENT_WORK" ? Blockchain.MaxReorgDepth + 2 : 1, Keys.Miner);
        var breaking = await BreakingAsync(node, reason);
        var tip = node.Tip.Hash;

        var error = await Assert.ThrowsAsync<RpcException>(async () => await node.Api.SubmitBlockAsync(new SubmitBlockRequest { Block = breaking.ToProto() }));

        Assert.Equal((NodeStatuses.Of(new ConsensusException(reason, "")), reason), (error.StatusCode, RpcErrors.Describe(error).Reason));
        Assert.Equal(tip, node.Tip.Hash);
    }

    [Fact]
    public async Task Getting_a_block_refused_as_invalid_says_so_and_why_instead_of_failing_internally()
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);
        await node.MineAsync(1, Keys.Miner);
        var invalid = NetworkBlocks.On(node, coinbaseAmount: node.Engine.Parameters.BlockReward + Amount.FromUnits(1)); // stored, then refused when connected
        await Assert.ThrowsAsync<RpcException>(async () => await node.Api.SubmitBlockAsync(new SubmitBlockRequest { Block = invalid.ToProto() }));

        foreach (var request in new[] { new GetBlockRequest { Hash = invalid.Hash.ToByteString() }, new GetBlockRequest { HashPrefix = invalid.Hash.ToString()[..12] } })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(async () => await node.Api.GetBlockAsync(request));
            Assert.Equal((StatusCode.NotFound, "BLOCK_INVALID"), (refused.StatusCode, RpcErrors.Describe(refused).Reason));
            Assert.Contains("BLOCK_COINBASE_PAYS_TOO_MUCH", RpcErrors.Describe(refused).Message, StringComparison.Ordinal);
        }
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

    private static async Task<Block> BreakingAsync(NetworkNode node, string reason) => reason switch
    {
        "BLOCK_BAD_VERSION" => NetworkBlocks.Mine(NetworkBlocks.On(node) is var v ? new Block(v.Header with { Version = BlockHeader.CurrentVersion + 1 }, v.Transactions) : null!),
        "BLOCK_HIGH_HASH" => FailingWork(NetworkBlocks.On(node)),
        "BLOCK_BAD_TARGET" => NetworkBlocks.Mine(NetworkBlocks.On(node) is var t ? new Block(t.Header with { Bits = Target.ToCompact(Target.FromCompact(t.Header.Bits) / 2) }, t.Transactions) : null!),
        "BLOCK_BAD_MERKLE_ROOT" => NetworkBlocks.Mine(NetworkBlocks.On(node) is var b ? new Block(b.Header with { MerkleRoot = Hash256.Parse(new string('7', 64)) }, b.Transactions) : null!),
        "BLOCK_NO_COINBASE" => WithTransactions(node, [.. NetworkBlocks.Filler(1)]),
        "BLOCK_MULTIPLE_COINBASE" => WithTransactions(node, [Coinbase(node), Coinbase(node)]),
        "BLOCK_TOO_MANY_TRANSACTIONS" => WithTransactions(node, [Coinbase(node), .. Enumerable.Repeat(TwoSpendsOfOneOutput()[0], node.Engine.Parameters.MaxBlockTransactions)]),
        "BLOCK_OVERSIZE" => NetworkBlocks.On(node, transactions: [.. NetworkBlocks.Filler(node.Engine.Parameters.MaxBlockSize / NetworkBlocks.Filler(1)[0].Size + 1)]),
        "BLOCK_DUPLICATE_TRANSACTION" => NetworkBlocks.On(node, transactions: [NetworkBlocks.Filler(1)[0], NetworkBlocks.Filler(1)[0]]),
        "BLOCK_DOUBLE_SPEND" => NetworkBlocks.On(node, transactions: [.. TwoSpendsOfOneOutput()]),
        "BLOCK_TIME_TOO_OLD" => NetworkBlocks.On(node, timeMs: 1),
        "BLOCK_TIME_TOO_NEW" => NetworkBlocks.On(node, timeMs: (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_600_000),
        "BLOCK_COINBASE_HEIGHT" => WithCoinbaseHeight(node, 99),
        "BLOCK_COINBASE_PAYS_TOO_MUCH" => NetworkBlocks.On(node, coinbaseAmount: node.Engine.Parameters.BlockReward + Amount.FromUnits(1)),
        "BLOCK_INVALID_PARENT" => await ChildOfAnInvalidBlockAsync(node),
        "BLOCK_INSUFFICIENT_WORK" => OnGenesis(node),
        "TX_MISSING_INPUT" => NetworkBlocks.On(node, transactions: [.. NetworkBlocks.Filler(1)]),
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    private static Shared.Chain.Transaction Coinbase(NetworkNode node) => NetworkBlocks.On(node).Transactions[0];

    private static Block WithTransactions(NetworkNode node, List<Shared.Chain.Transaction> txs)
    {
        var valid = NetworkBlocks.On(node);
        return NetworkBlocks.Mine(new Block(valid.Header with { MerkleRoot = MerkleTree.ComputeRoot([.. txs.Select(t => t.Wtxid)]) }, txs));
    }

    private static Shared.Chain.Transaction[] TwoSpendsOfOneOutput()
    {
        var spent = new OutPoint(Hash256.Parse(new string('3', 64)), 0);
        return [.. new[] { Keys.Alice, Keys.Bob }.Select(to => new Shared.Chain.Transaction(Shared.Chain.Transaction.CurrentVersion,
            [TxInput.WithoutSignature(spent)], [new TxOutput(Amount.FromUnits(1), to.PublicKey.ToArray())]))];
    }

    /// <summary>Stores a block that is invalid only once connected (it pays itself too much), then builds on it.</summary>
    private static async Task<Block> ChildOfAnInvalidBlockAsync(NetworkNode node)
    {
        var invalid = NetworkBlocks.On(node, coinbaseAmount: node.Engine.Parameters.BlockReward + Amount.FromUnits(1));
        await Assert.ThrowsAsync<RpcException>(async () => await node.Api.SubmitBlockAsync(new SubmitBlockRequest { Block = invalid.ToProto() }));
        var coinbase = Shared.Chain.Transaction.CreateCoinbase(invalid.Transactions[0].Inputs[0].PreviousOutput.Index + 1, [new TxOutput(node.Engine.Parameters.BlockReward, Keys.Carol.PublicKey.ToArray())]);
        var header = invalid.Header with { PreviousHash = invalid.Hash, MerkleRoot = MerkleTree.ComputeRoot([coinbase.Wtxid]), TimeMs = invalid.Header.TimeMs + 1 };
        return NetworkBlocks.Mine(new Block(header, [coinbase]));
    }

    /// <summary>A valid block at height 1, forking from genesis far below a tip more than 144 blocks up.</summary>
    private static Block OnGenesis(NetworkNode node)
    {
        var genesis = node.Engine.Read(n => n.Chain.ActiveChain[0]);
        var coinbase = Shared.Chain.Transaction.CreateCoinbase(1, [new TxOutput(node.Engine.Parameters.BlockReward, Keys.Carol.PublicKey.ToArray())]);
        var header = new BlockHeader(BlockHeader.CurrentVersion, genesis.Hash, MerkleTree.ComputeRoot([coinbase.Wtxid]), genesis.Header.TimeMs + 1, genesis.Header.Bits, 0);
        return NetworkBlocks.Mine(new Block(header, [coinbase]));
    }

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
