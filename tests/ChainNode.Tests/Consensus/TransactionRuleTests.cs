using LedgerContrast.TestSupport;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using static LedgerContrast.ChainNode.Tests.Harness.Keys;

namespace LedgerContrast.ChainNode.Tests.Consensus;

/// <summary>One test per transaction rule, each breaking exactly that rule, through the node's real mempool path.</summary>
public sealed class TransactionRuleTests : IDisposable
{
    private readonly TestNode _node = new();
    private const long Reward = 50 * Amount.MinorPerUnit;

    /// <summary>Above the minimum relay fee (1 minor unit per byte) for a one-input, one-output transaction.</summary>
    private const long Fee = 1_000;

    /// <summary>A coinbase paying Alice that is mature now.</summary>
    private async Task<Transaction> MatureCoinbaseAsync()
    {
        var coinbase = (await _node.MineAsync(Alice)).Transactions[0];
        await _node.MineManyAsync(_node.Parameters.CoinbaseMaturity, Miner);
        return coinbase;
    }

    [Fact]
    public async Task A_valid_payment_is_accepted_and_pending()
    {
        var funding = await MatureCoinbaseAsync();
        var pay = _node.Spend(funding, 0, Alice, (Bob, Reward - 1000));
        Assert.Equal(pay.Txid, _node.Engine.SubmitTransaction(pay));
        Assert.Equal(Node.TransactionState.Pending, _node.StatusOf(pay).State);
    }

    [Fact]
    public void No_inputs() =>
        Reject.Transaction(RejectReasons.TxNoInputs, () => _node.Engine.SubmitTransaction(new Transaction(Transaction.CurrentVersion, [], [new TxOutput(Amount.FromMinorUnits(1), Bob.PublicKey.ToArray())])));

    [Fact]
    public async Task No_outputs()
    {
        var funding = await MatureCoinbaseAsync();
        Reject.Transaction(RejectReasons.TxNoOutputs, () => _node.Engine.SubmitTransaction(_node.Spend(funding, 0, Alice)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    public async Task Zero_or_negative_output(long amount)
    {
        var funding = await MatureCoinbaseAsync();
        Reject.Transaction(RejectReasons.TxAmountNotPositive, () => _node.Engine.SubmitTransaction(_node.Spend(funding, 0, Alice, (Bob, amount))));
    }

    [Fact]
    public async Task Outputs_that_overflow_or_exceed_all_money()
    {
        var funding = await MatureCoinbaseAsync();
        Reject.Transaction(RejectReasons.TxAmountTooLarge, () => _node.Engine.SubmitTransaction(_node.Spend(funding, 0, Alice, (Bob, long.MaxValue), (Bob, long.MaxValue))));
        Reject.Transaction(RejectReasons.TxAmountTooLarge, () => _node.Engine.SubmitTransaction(_node.Spend(funding, 0, Alice, (Bob, 21_000_001 * Amount.MinorPerUnit))));
    }

    [Fact]
    public async Task Duplicate_inputs_within_one_transaction()
    {
        var funding = await MatureCoinbaseAsync();
        var outPoint = new OutPoint(funding.Txid, 0);
        Reject.Transaction(RejectReasons.TxDuplicateInput, () => _node.Engine.SubmitTransaction(_node.Spend([(outPoint, Alice, Reward), (outPoint, Alice, Reward)], (Bob, 10))));
    }

    [Fact]
    public async Task Missing_input()
    {
        await MatureCoinbaseAsync();
        var nowhere = new OutPoint(Hash256.Parse(new string('e', 64)), 0);
        var error = Reject.Transaction(RejectReasons.TxMissingInput, () => _node.Engine.SubmitTransaction(_node.Spend([(nowhere, Alice, Reward)], (Bob, 10))));
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task Input_already_spent_in_the_chain()
    {
        var funding = await MatureCoinbaseAsync();
        var first = _node.Spend(funding, 0, Alice, (Bob, Reward - Fee));
        await _node.MineAsync(Miner, first);
        await _node.MineAsync(Miner); // the spend is no longer in the tip block
        var again = _node.Spend(funding, 0, Alice, (Carol, Reward - Fee));
        var error = Reject.Transaction(RejectReasons.TxInputSpent, () => _node.Engine.SubmitTransaction(again));
        Assert.Equal(first.Txid.ToString(), error.Details["conflicting_txid"]);
        // Arriving after the block that decided, it is reported as having lost to that spend.
        await Poll.UntilAsync(() => _node.StatusOf(again).ConflictingTxid == first.Txid, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Signature_by_the_wrong_key_or_tampered()
    {
        var funding = await MatureCoinbaseAsync();
        Reject.Transaction(RejectReasons.TxBadSignature, () => _node.Engine.SubmitTransaction(_node.Spend(funding, 0, Bob, (Bob, Reward - Fee))));

        var good = _node.Spend(funding, 0, Alice, (Bob, Reward - Fee));
        var signature = good.Inputs[0].Signature.ToArray();
        signature[5] ^= 1;
        var tampered = new Transaction(good.Version, [good.Inputs[0] with { Signature = signature }], good.Outputs);
        Reject.Transaction(RejectReasons.TxBadSignature, () => _node.Engine.SubmitTransaction(tampered));
    }

    [Fact]
    public async Task A_transaction_paying_less_than_the_minimum_relay_fee_is_refused_naming_what_it_needs()
    {
        var funding = await MatureCoinbaseAsync();
        var free = _node.Spend(funding, 0, Alice, (Bob, Reward));
        var underpaying = _node.Spend(funding, 0, Alice, (Bob, Reward - (free.Size - 1)));

        Reject.Transaction(RejectReasons.MempoolFeeTooLow, () => _node.Engine.SubmitTransaction(free));
        var error = Reject.Transaction(RejectReasons.MempoolFeeTooLow, () => _node.Engine.SubmitTransaction(underpaying));
        Assert.Equal(Amount.FromMinorUnits(free.Size).ToString(), error.Details["required_fee"]);
        _node.Engine.SubmitTransaction(_node.Spend(funding, 0, Alice, (Bob, Reward - free.Size))); // exactly one per byte
    }

    [Fact]
    public async Task A_zero_fee_transaction_is_still_valid_in_a_block_the_fee_floor_being_policy()
    {
        var funding = await MatureCoinbaseAsync();
        var free = _node.Spend(funding, 0, Alice, (Bob, Reward));

        var block = await _node.MineAsync(Miner, free);

        Assert.Equal(block.Hash, _node.Tip.Hash);
        Assert.Equal(TransactionState.Confirmed, _node.StatusOf(free).State);
    }

    [Fact]
    public async Task A_wallet_lied_to_about_a_coins_amount_signs_a_transaction_no_node_accepts()
    {
        var funding = await MatureCoinbaseAsync();
        // A lying node told the wallet the 50-unit coin holds 1 unit: the wallet pays 0.9 and
        // believes the fee is 0.1; the real fee would be 49.1 units.
        var unsigned = new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(new OutPoint(funding.Txid, 0))],
            [new TxOutput(Amount.Parse("0.9"), Bob.PublicKey.ToArray())]);
        var fooled = TransactionSigner.Sign(unsigned, _node.NetworkId, [Alice], [Amount.FromUnits(1)]);

        Reject.Transaction(RejectReasons.TxBadSignature, () => _node.Engine.SubmitTransaction(fooled));
    }

    [Fact]
    public async Task A_transaction_signed_for_another_network_is_refused()
    {
        var funding = await MatureCoinbaseAsync();
        var unsigned = new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(new OutPoint(funding.Txid, 0))], [new TxOutput(Amount.FromMinorUnits(Reward - Fee), Bob.PublicKey.ToArray())]);
        var otherNetwork = TransactionSigner.Sign(unsigned, Genesis.Create(ChainParameters.ForRegtest("elsewhere")).Hash, [Alice], [Amount.FromMinorUnits(Reward)]);
        Reject.Transaction(RejectReasons.TxBadSignature, () => _node.Engine.SubmitTransaction(otherNetwork));
    }

    [Fact]
    public async Task Outputs_exceed_inputs()
    {
        var funding = await MatureCoinbaseAsync();
        Reject.Transaction(RejectReasons.TxOutputsExceedInputs, () => _node.Engine.SubmitTransaction(_node.Spend(funding, 0, Alice, (Bob, Reward + 1))));
    }

    [Fact]
    public async Task Immature_coinbase_spend()
    {
        var coinbase = (await _node.MineAsync(Alice)).Transactions[0];
        var error = Reject.Transaction(RejectReasons.TxImmatureCoinbaseSpend, () => _node.Engine.SubmitTransaction(_node.Spend(coinbase, 0, Alice, (Bob, 10))));
        Assert.Contains("can be spent from height", error.Message);
        await _node.MineManyAsync(_node.Parameters.CoinbaseMaturity - 1, Miner);
        _node.Engine.SubmitTransaction(_node.Spend(coinbase, 0, Alice, (Bob, 10)));
    }

    [Fact]
    public async Task A_coinbase_is_not_accepted_into_the_mempool()
    {
        await MatureCoinbaseAsync();
        var coinbase = Transaction.CreateCoinbase(99, [new TxOutput(Amount.FromUnits(1), Bob.PublicKey.ToArray())]);
        Reject.Transaction(RejectReasons.TxCoinbaseNotAllowed, () => _node.Engine.SubmitTransaction(coinbase));
    }

    [Fact]
    public async Task Wrong_version_and_null_input()
    {
        var funding = await MatureCoinbaseAsync();
        var good = _node.Spend(funding, 0, Alice, (Bob, 10));
        Reject.Transaction(RejectReasons.TxBadVersion, () => _node.Engine.SubmitTransaction(new Transaction(3, good.Inputs, good.Outputs)));
        // Version 1 signed a message without the spent outputs: refused by name, not as a bad signature.
        Reject.Transaction(RejectReasons.TxBadVersion, () => _node.Engine.SubmitTransaction(new Transaction(1, good.Inputs, good.Outputs)));
        var nullInput = new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(new OutPoint(Hash256.Zero, 0)), good.Inputs[0]], good.Outputs);
        Reject.Transaction(RejectReasons.TxNullInput, () => _node.Engine.SubmitTransaction(nullInput));
    }

    [Fact]
    public async Task Oversize_transaction()
    {
        var funding = await MatureCoinbaseAsync();
        var outputs = Enumerable.Range(0, 3000).Select(_ => (Bob, 1L)).ToArray(); // 3000 × 40 bytes > 100 kB
        Reject.Transaction(RejectReasons.TxOversize, () => _node.Engine.SubmitTransaction(_node.Spend(funding, 0, Alice, outputs)));
    }

    [Fact]
    public async Task A_transaction_already_confirmed_or_already_pending_is_refused_by_name()
    {
        var funding = await MatureCoinbaseAsync();
        var pay = _node.Spend(funding, 0, Alice, (Bob, Reward - Fee));
        _node.Engine.SubmitTransaction(pay);
        Reject.Transaction(RejectReasons.TxAlreadyKnown, () => _node.Engine.SubmitTransaction(pay));
        await _node.MineAsync(Miner, pay);
        Reject.Transaction(RejectReasons.TxAlreadyConfirmed, () => _node.Engine.SubmitTransaction(pay));
    }

    public void Dispose() => _node.Dispose();
}
