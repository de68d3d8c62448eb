using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Money;
using LedgerContrast.TestSupport;
using static LedgerContrast.ChainNode.Tests.Harness.Keys;

namespace LedgerContrast.ChainNode.Tests.Consensus;

/// <summary>Scenarios on one node, named for what they prove (Bitcoin Core's test/functional style).</summary>
public sealed class ReorgScenarioTests : IDisposable
{
    private readonly TestNode _node = new();
    private const long Reward = 50 * Amount.MinorPerUnit;

    [Fact]
    public async Task A_heavier_branch_reverses_a_confirmed_payment_and_names_the_winner()
    {
        var funding = (await _node.MineAsync(Alice)).Transactions[0];
        await _node.MineManyAsync(2, Miner);
        var fork = _node.Tip;
        var toBob = _node.Spend(funding, 0, Alice, (Bob, Reward));
        var toCarol = _node.Spend(funding, 0, Alice, (Carol, Reward));

        // The light branch: bob's payment confirmed twice.
        var a1 = _node.NewBlock(fork).With(toBob).Build();
        await _node.Engine.SubmitBlockAsync(a1);
        await _node.Engine.SubmitBlockAsync(_node.NewBlock().Build());
        Assert.Equal(2u, _node.StatusOf(toBob).Confirmations);

        // The heavier branch spends the same coins to carol.
        var b1 = _node.NewBlock(fork).With(toCarol).Build();
        await _node.Engine.SubmitBlockAsync(b1);
        var b1Entry = _node.Engine.Read(n => n.Chain.Find(b1.Hash))!;
        var b2 = _node.NewBlock(b1Entry).Build();
        await _node.Engine.SubmitBlockAsync(b2);
        var b3 = _node.NewBlock(_node.Engine.Read(n => n.Chain.Find(b2.Hash))!).Build();
        var outcome = await _node.Engine.SubmitBlockAsync(b3);

        Assert.Equal(b3.Hash, _node.Tip.Hash);
        Assert.Equal(2, Assert.Single(outcome.Updates).Disconnected.Count);
        Assert.Equal(TransactionState.Confirmed, _node.StatusOf(toCarol).State);
        var reversed = _node.StatusOf(toBob);
        Assert.Equal(TransactionState.Conflicted, reversed.State);
        Assert.Equal(toCarol.Txid, reversed.ConflictingTxid);
        Assert.Empty(_node.Engine.Verify());

        var tips = _node.Engine.Read(n => n.Chain.ChainTips());
        Assert.Equal(("active", b3.Hash), (tips[0].Status, tips[0].Hash));
        var old = Assert.Single(tips, t => t.Status == "valid-fork");
        Assert.Equal(2u, old.BranchLength);
    }

    [Fact]
    public async Task A_child_dropped_by_a_reorg_because_its_parent_lost_is_reported_conflicted_by_the_winner()
    {
        var funding = (await _node.MineAsync(Alice)).Transactions[0];
        await _node.MineManyAsync(2, Miner);
        var fork = _node.Tip;
        var toBob = _node.Spend(funding, 0, Alice, (Bob, Reward - 1_000));
        var bobPays = _node.Spend(toBob, 0, Bob, (Miner, Reward - 2_000));
        var toCarol = _node.Spend(funding, 0, Alice, (Carol, Reward - 1_000));
        await _node.Engine.SubmitBlockAsync(_node.NewBlock(fork).With(toBob, bobPays).Build());

        var b1 = _node.NewBlock(fork).With(toCarol).Build();
        await _node.Engine.SubmitBlockAsync(b1);
        await _node.Engine.SubmitBlockAsync(_node.NewBlock(_node.Engine.Read(n => n.Chain.Find(b1.Hash))!).Build());

        Assert.Equal((TransactionState.Conflicted, toCarol.Txid), (_node.StatusOf(toBob).State, _node.StatusOf(toBob).ConflictingTxid));
        Assert.Equal((TransactionState.Conflicted, toCarol.Txid), (_node.StatusOf(bobPays).State, _node.StatusOf(bobPays).ConflictingTxid));
    }

    /// <summary>
    /// After a partition heals, blocks of the heavier branch arrive out of order: its newer block
    /// (carrying the winning spend) waits as an orphan, and the block that completes the branch
    /// reorganises the chain and then connects the orphan in one call — two tip changes. The
    /// reversed payment must be reported conflicted by the winner, not forgotten.
    /// </summary>
    [Fact]
    public async Task A_reorg_whose_winning_spend_comes_in_a_waiting_orphan_reports_the_reversed_payment_conflicted()
    {
        var funding = (await _node.MineAsync(Alice)).Transactions[0];
        await _node.MineManyAsync(2, Miner);
        var fork = _node.Tip;
        var toBob = _node.Spend(funding, 0, Alice, (Bob, Reward));
        var toCarol = _node.Spend(funding, 0, Alice, (Carol, Reward));
        using var majority = new TestNode(_node.Parameters) { Now = _node.Now };
        foreach (var entry in _node.Engine.Read(n => n.Chain.ActiveChain.Skip(1).ToList()))
        {
            await majority.Engine.SubmitBlockAsync(_node.Engine.Read(n => n.Chain.LoadBlock(entry.Hash))!);
        }

        // The minority: bob's payment confirmed twice.
        await _node.Engine.SubmitBlockAsync(_node.NewBlock(fork).With(toBob).Build());
        await _node.Engine.SubmitBlockAsync(_node.NewBlock().Build());
        Assert.Equal(2u, _node.StatusOf(toBob).Confirmations);

        // The majority: three blocks, then carol's payment in the fourth.
        var branch = new List<Block>();
        for (var i = 0; i < 3; i++)
        {
            branch.Add(await majority.MineAsync(Miner));
        }
        branch.Add(await majority.MineAsync(Miner, toCarol));
        Assert.Equal(BlockAcceptance.Orphan, (await _node.Engine.SubmitBlockAsync(branch[3])).Acceptance);
        await _node.Engine.SubmitBlockAsync(branch[0]);
        await _node.Engine.SubmitBlockAsync(branch[1]);
        var outcome = await _node.Engine.SubmitBlockAsync(branch[2]);

        Assert.Equal(branch[3].Hash, _node.Tip.Hash);
        Assert.Equal(2, outcome.Updates.Count);
        Assert.Equal(TransactionState.Confirmed, _node.StatusOf(toCarol).State);
        Assert.Equal((TransactionState.Conflicted, toCarol.Txid), (_node.StatusOf(toBob).State, _node.StatusOf(toBob).ConflictingTxid));
    }

    [Fact]
    public async Task Transactions_of_disconnected_blocks_return_to_the_mempool_unless_they_conflict()
    {
        var coinbases = new List<Transaction> { (await _node.MineAsync(Alice)).Transactions[0], (await _node.MineAsync(Alice)).Transactions[0] };
        await _node.MineManyAsync(2, Miner);
        var fork = _node.Tip;
        var kept = _node.Spend(coinbases[0], 0, Alice, (Bob, Reward - 100));
        await _node.Engine.SubmitBlockAsync(_node.NewBlock(fork).With(kept).Build());

        var heavier = _node.NewBlock(fork).Build();
        await _node.Engine.SubmitBlockAsync(heavier);
        await _node.Engine.SubmitBlockAsync(_node.NewBlock(_node.Engine.Read(n => n.Chain.Find(heavier.Hash))!).Build());

        Assert.Equal(TransactionState.Pending, _node.StatusOf(kept).State);
        Assert.Equal(1, _node.Engine.Read(n => n.Pool.Count));
    }

    [Fact]
    public async Task On_equal_work_the_first_seen_tip_stays()
    {
        var fork = _node.Tip;
        var first = _node.NewBlock(fork).Build();
        var second = _node.NewBlock(fork).Build();
        await _node.Engine.SubmitBlockAsync(first);
        await _node.Engine.SubmitBlockAsync(second);
        Assert.Equal(first.Hash, _node.Tip.Hash);
    }

    [Fact]
    public async Task Blocks_that_arrive_out_of_order_wait_for_their_parent()
    {
        var blocks = new List<Block>();
        var parent = _node.Tip;
        using (var builderNode = new TestNode(_node.Parameters))
        {
            for (var i = 0; i < 5; i++)
            {
                blocks.Add(await builderNode.MineAsync(Miner));
            }
        }
        for (var i = blocks.Count - 1; i >= 1; i--)
        {
            var outcome = await _node.Engine.SubmitBlockAsync(blocks[i]);
            Assert.Equal(BlockAcceptance.Orphan, outcome.Acceptance);
            Assert.Equal(blocks[i - 1].Hash, outcome.MissingParent);
        }
        Assert.Same(parent, _node.Tip);

        await _node.Engine.SubmitBlockAsync(blocks[0]);

        Assert.Equal(blocks[^1].Hash, _node.Tip.Hash);
        Assert.Equal(0, _node.Engine.Read(n => n.Chain.Orphans.Count));
    }

    [Fact]
    public async Task A_reorganisation_that_meets_an_invalid_block_restores_the_previous_chain()
    {
        var funding = (await _node.MineAsync(Alice)).Transactions[0];
        await _node.MineManyAsync(2, Miner);
        var fork = _node.Tip;
        var a1 = _node.NewBlock(fork).Build();
        await _node.Engine.SubmitBlockAsync(a1);
        var a2 = _node.NewBlock().Build();
        await _node.Engine.SubmitBlockAsync(a2);

        var b1 = _node.NewBlock(fork).Build();
        await _node.Engine.SubmitBlockAsync(b1);
        var b2 = _node.NewBlock(Entry(b1)).With(_node.Spend(funding, 0, Bob, (Bob, Reward))).Build(); // forged signature
        await _node.Engine.SubmitBlockAsync(b2); // equal work: stored, not yet connected
        var b3 = _node.NewBlock(Entry(b2)).Build();

        await Reject.Block(RejectReasons.BlockInvalidParent, () => _node.Engine.SubmitBlockAsync(b3));

        Assert.Equal(a2.Hash, _node.Tip.Hash);
        Assert.Equal(BlockStatus.Invalid, Entry(b2).Status);
        Assert.Equal(RejectReasons.TxBadSignature, Entry(b2).InvalidReason);
        Assert.Equal(BlockStatus.Invalid, Entry(b3).Status);
        Assert.Empty(_node.Engine.Verify());
        var tips = _node.Engine.Read(n => n.Chain.ChainTips());
        Assert.Contains(tips, t => t.Hash == b3.Hash && t.Status == "invalid");
    }

    [Fact]
    public async Task A_restarted_node_comes_back_at_its_tip_with_the_same_state()
    {
        var directory = TempDirectory.NewPath("lc-chain-restart-");
        Transaction toBob, toCarol;
        BlockIndexEntry tipBefore;
        using (var node = new TestNode(dataDirectory: directory))
        {
            var funding = (await node.MineAsync(Alice)).Transactions[0];
            await node.MineManyAsync(3, Miner);
            var fork = node.Tip;
            toBob = node.Spend(funding, 0, Alice, (Bob, Reward));
            toCarol = node.Spend(funding, 0, Alice, (Carol, Reward));
            await node.Engine.SubmitBlockAsync(node.NewBlock(fork).With(toBob).Build());
            var b1 = node.NewBlock(fork).With(toCarol).Build();
            await node.Engine.SubmitBlockAsync(b1);
            await node.Engine.SubmitBlockAsync(node.NewBlock(node.Engine.Read(n => n.Chain.Find(b1.Hash))!).Build());
            tipBefore = node.Tip;
        }
        try
        {
            using var restarted = new TestNode(dataDirectory: directory);
            Assert.Equal(tipBefore.Hash, restarted.Tip.Hash);
            Assert.Equal(tipBefore.ChainWork, restarted.Tip.ChainWork);
            Assert.Empty(restarted.Engine.Verify());
            Assert.Equal(TransactionState.Confirmed, restarted.StatusOf(toCarol).State);
            Assert.Equal((TransactionState.Conflicted, toCarol.Txid), (restarted.StatusOf(toBob).State, restarted.StatusOf(toBob).ConflictingTxid));
            Assert.Contains(restarted.Engine.Read(n => n.Chain.ChainTips()), t => t.Status == "valid-fork");
            await restarted.MineAsync(Miner); // and it carries on
        }
        finally
        {
            TempDirectory.Delete(directory);
        }
    }

    private BlockIndexEntry Entry(Block block) => _node.Engine.Read(n => n.Chain.Find(block.Hash))!;

    public void Dispose() => _node.Dispose();
}
