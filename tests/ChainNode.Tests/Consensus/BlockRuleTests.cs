using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using static LedgerContrast.ChainNode.Tests.Harness.Keys;

namespace LedgerContrast.ChainNode.Tests.Consensus;

/// <summary>One test per block rule; after each refusal the tip has not moved.</summary>
public sealed class BlockRuleTests : IDisposable
{
    private readonly TestNode _node = new();
    private const long Reward = 50 * Amount.MinorPerUnit;

    private async Task<Transaction> MatureCoinbaseAsync()
    {
        var coinbase = (await _node.MineAsync(Alice)).Transactions[0];
        await _node.MineManyAsync(_node.Parameters.CoinbaseMaturity, Miner);
        return coinbase;
    }

    private async Task RefusedAndTipUnchanged(string reason, BlockBuilder builder)
    {
        var tip = _node.Tip;
        await Reject.Block(reason, builder.SubmitAsync);
        Assert.Same(tip, _node.Tip);
    }

    [Fact]
    public async Task A_valid_block_extends_the_chain()
    {
        var outcome = await _node.NewBlock().SubmitAsync();
        Assert.Equal(BlockAcceptance.Accepted, outcome.Acceptance);
        Assert.Equal(1u, _node.Tip.Height);
    }

    [Fact]
    public async Task Proof_of_work_above_the_target() =>
        await RefusedAndTipUnchanged(RejectReasons.BlockHighHash, _node.NewBlock().WithInsufficientWork());

    [Fact]
    public async Task Wrong_target_for_this_height()
    {
        var harder = Target.ToCompact(Target.FromCompact(ChainParameters.RegtestBits) / 2);
        await RefusedAndTipUnchanged(RejectReasons.BlockBadTarget, _node.NewBlock().WithBits(harder));
    }

    [Fact]
    public async Task Bad_merkle_root() =>
        await RefusedAndTipUnchanged(RejectReasons.BlockBadMerkleRoot, _node.NewBlock().WithMerkleRoot(Hash256.Parse(new string('7', 64))));

    [Fact]
    public async Task Coinbase_not_first()
    {
        var funding = await MatureCoinbaseAsync();
        await RefusedAndTipUnchanged(RejectReasons.BlockNoCoinbase, _node.NewBlock().WithoutCoinbase().With(_node.Spend(funding, 0, Alice, (Bob, 10))));
    }

    [Fact]
    public async Task More_than_one_coinbase()
    {
        var second = Transaction.CreateCoinbase(1, [new TxOutput(Amount.FromUnits(1), Bob.PublicKey.ToArray())]);
        await RefusedAndTipUnchanged(RejectReasons.BlockMultipleCoinbase, _node.NewBlock().With(second));
    }

    [Fact]
    public async Task Coinbase_pays_more_than_reward_plus_fees()
    {
        var funding = await MatureCoinbaseAsync();
        var pay = _node.Spend(funding, 0, Alice, (Bob, Reward - 700)); // fee 700
        await _node.NewBlock().With(pay).WithCoinbaseAmount(Amount.FromMinorUnits(Reward + 700)).SubmitAsync(); // exactly allowed
        var pay2 = _node.Spend(pay, 0, Bob, (Carol, Reward - 800)); // fee 100
        await RefusedAndTipUnchanged(RejectReasons.BlockCoinbasePaysTooMuch, _node.NewBlock().With(pay2).WithCoinbaseAmount(Amount.FromMinorUnits(Reward + 101)));
    }

    [Fact]
    public async Task Coinbase_commits_to_the_wrong_height() =>
        await RefusedAndTipUnchanged(RejectReasons.BlockCoinbaseHeight, _node.NewBlock().WithCoinbaseHeight(7));

    [Fact]
    public async Task Time_not_after_median_time_past()
    {
        await _node.MineManyAsync(11, Miner);
        var mtp = _node.Engine.Read(n => n.Chain.MedianTimePast(n.Chain.Tip));
        await RefusedAndTipUnchanged(RejectReasons.BlockTimeTooOld, _node.NewBlock().WithTime(mtp));
        await _node.NewBlock().WithTime(mtp + 1).SubmitAsync();
    }

    [Fact]
    public async Task Time_too_far_in_the_future() =>
        await RefusedAndTipUnchanged(RejectReasons.BlockTimeTooNew, _node.NewBlock().WithTime(_node.Now + 2 * 60_000 + 1_001));

    [Fact]
    public async Task Two_transactions_of_one_block_spending_the_same_output()
    {
        var funding = await MatureCoinbaseAsync();
        var toBob = _node.Spend(funding, 0, Alice, (Bob, 10));
        var toCarol = _node.Spend(funding, 0, Alice, (Carol, 10));
        await RefusedAndTipUnchanged(RejectReasons.BlockDoubleSpend, _node.NewBlock().With(toBob, toCarol));
    }

    [Fact]
    public async Task The_same_transaction_twice()
    {
        var funding = await MatureCoinbaseAsync();
        var pay = _node.Spend(funding, 0, Alice, (Bob, 10));
        await RefusedAndTipUnchanged(RejectReasons.BlockDuplicateTransaction, _node.NewBlock().With(pay, pay));
    }

    [Fact]
    public async Task A_block_with_an_invalid_transaction_is_refused_with_that_transactions_reason()
    {
        var funding = await MatureCoinbaseAsync();
        var forged = _node.Spend(funding, 0, Bob, (Bob, Reward));
        var error = await Reject.Block(RejectReasons.TxBadSignature, _node.NewBlock().With(forged).SubmitAsync);
        Assert.Contains(forged.Txid.ToString(), error.Message);
        var immature = (await _node.MineAsync(Alice)).Transactions[0];
        await Reject.Block(RejectReasons.TxImmatureCoinbaseSpend, _node.NewBlock().With(_node.Spend(immature, 0, Alice, (Bob, 1))).SubmitAsync);
    }

    [Fact]
    public async Task Size_and_transaction_count_limits()
    {
        using var small = new TestNode(ChainParameters.ForRegtest(coinbaseMaturity: 1) with { MaxBlockTransactions = 2, MaxBlockSize = 600 });
        var coinbases = new List<Transaction>();
        for (var i = 0; i < 3; i++)
        {
            coinbases.Add((await small.MineAsync(Alice)).Transactions[0]);
        }
        var payments = coinbases.Take(2).Select(c => small.Spend(c, 0, Alice, (Bob, 10))).ToArray();
        await Reject.Block(RejectReasons.BlockTooManyTransactions, small.NewBlock().With(payments).SubmitAsync);
        var wide = small.Spend(coinbases[2], 0, Alice, Enumerable.Range(0, 12).Select(_ => (Bob, 10L)).ToArray());
        await Reject.Block(RejectReasons.BlockOversize, small.NewBlock().With(wide).SubmitAsync);
    }

    [Fact]
    public async Task A_child_of_an_invalid_block_is_refused()
    {
        var funding = await MatureCoinbaseAsync();
        var forged = _node.NewBlock().With(_node.Spend(funding, 0, Bob, (Bob, Reward))).Build();
        await Reject.Block(RejectReasons.TxBadSignature, () => _node.Engine.SubmitBlockAsync(forged));
        var invalidParent = _node.Engine.Read(n => n.Chain.Find(forged.Hash))!;
        Assert.Equal(BlockStatus.Invalid, invalidParent.Status);
        await Reject.Block(RejectReasons.BlockInvalidParent, _node.NewBlock(invalidParent).SubmitAsync);
        await Reject.Block(RejectReasons.TxBadSignature, () => _node.Engine.SubmitBlockAsync(forged)); // and again, cheaply
    }

    public void Dispose() => _node.Dispose();
}
