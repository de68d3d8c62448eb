using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Mempool;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Money;
using static LedgerContrast.ChainNode.Tests.Harness.Keys;

namespace LedgerContrast.ChainNode.Tests.Mempool;

public sealed class MempoolTests : IDisposable
{
    private readonly TestNode _node = new();
    private const long Reward = 50 * Amount.MinorPerUnit;

    /// <summary>Above the minimum relay fee (1 minor unit per byte) for a one-input, one-output transaction.</summary>
    private const long Fee = 1_000;

    private async Task<List<Transaction>> MatureCoinbasesAsync(int count)
    {
        var coinbases = await _node.MineManyAsync(count, Alice);
        await _node.MineManyAsync(_node.Parameters.CoinbaseMaturity, Miner);
        return coinbases;
    }

    [Fact]
    public async Task First_seen_wins_and_the_second_spend_is_refused_naming_the_first()
    {
        var funding = (await MatureCoinbasesAsync(1))[0];
        var toBob = _node.Spend(funding, 0, Alice, (Bob, Reward - Fee));
        var toCarol = _node.Spend(funding, 0, Alice, (Carol, Reward - Fee));
        _node.Engine.SubmitTransaction(toBob);

        var error = Reject.Transaction(RejectReasons.MempoolConflict, () => _node.Engine.SubmitTransaction(toCarol));

        Assert.Equal(toBob.Txid.ToString(), error.Details["conflicting_txid"]);
        Assert.Contains(toBob.Txid.ToString(), error.Message);
        Assert.Equal((TransactionState.Conflicted, toBob.Txid), (_node.StatusOf(toCarol).State, _node.StatusOf(toCarol).ConflictingTxid));
    }

    [Fact]
    public async Task When_the_other_spend_is_mined_the_mempool_one_becomes_conflicted_by_it()
    {
        var funding = (await MatureCoinbasesAsync(1))[0];
        var toBob = _node.Spend(funding, 0, Alice, (Bob, Reward - Fee));
        var toCarol = _node.Spend(funding, 0, Alice, (Carol, Reward - Fee));
        _node.Engine.SubmitTransaction(toBob);

        await _node.MineAsync(Miner, toCarol); // another miner saw carol's first

        Assert.Equal(TransactionState.Confirmed, _node.StatusOf(toCarol).State);
        Assert.Equal((TransactionState.Conflicted, toCarol.Txid), (_node.StatusOf(toBob).State, _node.StatusOf(toBob).ConflictingTxid));
        Assert.Equal(0, _node.Engine.Read(n => n.Pool.Count));
    }

    [Fact]
    public async Task Unconfirmed_change_can_be_spent_and_a_conflict_takes_its_descendants_along()
    {
        var funding = (await MatureCoinbasesAsync(1))[0];
        var parent = _node.Spend(funding, 0, Alice, (Bob, 10 * Amount.MinorPerUnit), (Alice, Reward - 10 * Amount.MinorPerUnit - 500));
        var child = _node.Spend(parent, 1, Alice, (Carol, 1 * Amount.MinorPerUnit));
        _node.Engine.SubmitTransaction(parent);
        _node.Engine.SubmitTransaction(child);
        Assert.Equal(2, _node.Engine.Read(n => n.Pool.Count));

        var winner = _node.Spend(funding, 0, Alice, (Carol, Reward - Fee));
        await _node.MineAsync(Miner, winner);

        Assert.Equal(winner.Txid, _node.StatusOf(parent).ConflictingTxid);
        Assert.Equal(winner.Txid, _node.StatusOf(child).ConflictingTxid);
    }

    [Fact]
    public async Task A_full_pool_evicts_the_lowest_fee_rate_first_and_refuses_what_pays_less()
    {
        using var node = new TestNode();
        var coinbases = await node.MineManyAsync(3, Alice);
        await node.MineManyAsync(node.Parameters.CoinbaseMaturity, Miner);
        var cheap = node.Spend(coinbases[0], 0, Alice, (Bob, Reward - 100));
        var rich = node.Spend(coinbases[1], 0, Alice, (Bob, Reward - 10_000));
        var cheaper = node.Spend(coinbases[2], 0, Alice, (Bob, Reward - 50));
        var pool = new TransactionPool(node.Parameters, maxBytes: cheap.Size + 10);
        var fee = (long minor) => Amount.FromMinorUnits(minor);

        pool.Add(cheap, fee(100), 1);
        var evicted = pool.Add(rich, fee(10_000), 2);
        Assert.Equal([cheap.Txid], evicted);
        Reject.Transaction(RejectReasons.MempoolFull, () => pool.Add(cheaper, fee(50), 3));
        Assert.NotNull(pool.Find(rich.Txid));
    }

    [Fact]
    public async Task Entries_expire()
    {
        var funding = (await MatureCoinbasesAsync(1))[0];
        var pool = new TransactionPool(_node.Parameters, expiry: TimeSpan.FromMinutes(10));
        var pay = _node.Spend(funding, 0, Alice, (Bob, Reward - Fee));
        pool.Add(pay, Amount.Zero, 1_000);
        Assert.Empty(pool.RemoveExpired(1_000 + 599_000));
        Assert.Equal([pay.Txid], pool.RemoveExpired(1_000 + 601_000));
    }

    [Fact]
    public async Task The_template_orders_by_fee_rate_keeping_parents_before_children()
    {
        var coinbases = await MatureCoinbasesAsync(2);
        var parent = _node.Spend(coinbases[0], 0, Alice, (Alice, Reward - 200)); // low fee rate
        var child = _node.Spend(parent, 0, Alice, (Bob, Reward - 200 - 90_000)); // high fee rate, needs parent
        var middle = _node.Spend(coinbases[1], 0, Alice, (Bob, Reward - 20_000));
        _node.Engine.SubmitTransaction(parent);
        _node.Engine.SubmitTransaction(child);
        _node.Engine.SubmitTransaction(middle);

        var template = _node.Engine.CreateTemplate(Miner.PublicKey.ToArray());

        var order = template.Transactions.Skip(1).Select(t => t.Txid).ToList();
        Assert.Equal([middle.Txid, parent.Txid, child.Txid], order);
        Assert.Equal(_node.Parameters.BlockReward + Amount.FromMinorUnits(200 + 90_000 + 20_000), template.Transactions[0].TotalOutput());
    }

    [Fact]
    public async Task The_miner_builds_no_block_larger_than_its_block_max_size_and_leaves_the_rest_for_the_next()
    {
        var coinbases = await MatureCoinbasesAsync(3);
        var payments = coinbases.Select(c => _node.Spend(c, 0, Alice, (Bob, Reward - Fee))).ToList();
        var room = BlockHeader.EncodedSize + 4 + Transaction.SizeOf(1, 1) + 2 * payments[0].Size;
        using var node = await PoolHoldingAsync(5_000_000, room, [.. payments]);

        var template = node.Engine.CreateTemplate(Miner.PublicKey.ToArray());

        Assert.Equal(3, template.Transactions.Count); // the coinbase and two payments: a third would pass the policy's size
        Assert.True(new Block(template.Header, template.Transactions).Size <= room);
        Assert.Equal(3, node.Engine.Read(n => n.Pool.Count));
    }

    [Fact]
    public async Task Evicting_for_a_child_never_evicts_its_parent_so_the_template_stays_valid()
    {
        var coinbases = await MatureCoinbasesAsync(3);
        var parent = _node.Spend(coinbases[0], 0, Alice, (Alice, Reward - 200)); // the lowest fee rate
        var other = _node.Spend(coinbases[1], 0, Alice, (Bob, Reward - 2_000));
        var child = _node.Spend(parent, 0, Alice, (Bob, Reward - 200 - 90_000)); // pays for both
        using var node = await PoolHoldingAsync(parent.Size + other.Size + 10, int.MaxValue, parent, other);

        node.Engine.SubmitTransaction(child);

        Assert.NotNull(node.Engine.Read(n => n.Pool.Find(parent.Txid)));
        Assert.Null(node.Engine.Read(n => n.Pool.Find(other.Txid)));
        var template = node.Engine.CreateTemplate(Miner.PublicKey.ToArray());
        Assert.Equal([parent.Txid, child.Txid], template.Transactions.Skip(1).Select(t => t.Txid));
        var block = await node.MineAsync(Miner, [.. template.Transactions.Skip(1)]);
        Assert.Equal(block.Hash, node.Tip.Hash);
        Assert.Equal(TransactionState.Confirmed, node.StatusOf(child).State);
    }

    [Fact]
    public async Task A_child_that_only_its_own_ancestors_could_make_room_for_is_refused_and_nothing_is_evicted()
    {
        var coinbases = await MatureCoinbasesAsync(1);
        var parent = _node.Spend(coinbases[0], 0, Alice, (Alice, Reward - 200));
        var child = _node.Spend(parent, 0, Alice, (Bob, Reward - 200 - 90_000));
        using var node = await PoolHoldingAsync(parent.Size + 10, int.MaxValue, parent);

        Reject.Transaction(RejectReasons.MempoolFull, () => node.Engine.SubmitTransaction(child));

        Assert.NotNull(node.Engine.Read(n => n.Pool.Find(parent.Txid)));
        Assert.Equal([parent.Txid], node.Engine.CreateTemplate(Miner.PublicKey.ToArray()).Transactions.Skip(1).Select(t => t.Txid));
    }

    /// <summary>A node on a copy of this test's chain whose mempool holds <paramref name="maxBytes"/>, whose miner builds blocks up to <paramref name="blockMaxSize"/>, and whose pool starts with <paramref name="transactions"/>.</summary>
    private async Task<TestNode> PoolHoldingAsync(long maxBytes, int blockMaxSize, params Transaction[] transactions)
    {
        var node = new TestNode(_node.Parameters, mempoolBytes: maxBytes, blockMaxSize: blockMaxSize) { Now = _node.Now };
        foreach (var entry in _node.Engine.Read(n => n.Chain.ActiveChain.Skip(1).Select(e => e.Hash).ToList()))
        {
            await node.Engine.SubmitBlockAsync(_node.Engine.FindBlock(entry)!);
        }
        foreach (var tx in transactions)
        {
            node.Engine.SubmitTransaction(tx);
        }
        return node;
    }

    [Fact]
    public async Task The_mempool_survives_a_clean_restart_and_keeps_what_a_client_submitted_marked_for_rebroadcast()
    {
        var coinbases = await MatureCoinbasesAsync(2);
        var fromClient = _node.Spend(coinbases[0], 0, Alice, (Bob, Reward - 1_000));
        var relayed = _node.Spend(coinbases[1], 0, Alice, (Carol, Reward - 1_000));
        _node.Engine.SubmitTransaction(fromClient, local: true);
        _node.Engine.SubmitTransaction(relayed);

        using var restarted = _node.Restart();

        Assert.Equal(TransactionState.Pending, restarted.StatusOf(fromClient).State);
        Assert.Equal(TransactionState.Pending, restarted.StatusOf(relayed).State);
        Assert.Equal([fromClient.Txid], restarted.Engine.LocalPending().Select(t => t.Txid));
    }

    [Fact]
    public async Task A_saved_mempool_is_validated_again_on_load_so_what_was_mined_meanwhile_is_dropped()
    {
        var (pending, minedWhileDown, saved) = await TwoPendingSavedAsync();
        await _node.MineAsync(Miner, minedWhileDown);

        using var restarted = _node.Restart(whileStopped: dir => File.WriteAllBytes(MempoolPath(dir), saved));

        Assert.Equal([pending.Txid], restarted.Engine.MempoolEntries().Select(e => e.Txid));
        Assert.Equal(TransactionState.Confirmed, restarted.StatusOf(minedWhileDown).State);
    }

    [Fact]
    public async Task A_torn_mempool_file_costs_only_what_follows_the_tear()
    {
        var (first, _, saved) = await TwoPendingSavedAsync();
        var firstRecordEnd = "LCMEMPOOL1".Length + 13 + first.Size;

        using var torn = _node.Restart(whileStopped: dir => File.WriteAllBytes(MempoolPath(dir), saved[..(firstRecordEnd + 20)]));
        Assert.Equal([first.Txid], torn.Engine.MempoolEntries().Select(e => e.Txid));

        using var foreign = torn.Restart(whileStopped: dir => File.WriteAllBytes(MempoolPath(dir), [.. Enumerable.Repeat((byte)0xff, 500)]));
        Assert.Empty(foreign.Engine.MempoolEntries());
    }

    /// <summary>Two independent payments in the pool, and the bytes of the mempool.dat saved with them.</summary>
    private async Task<(Transaction First, Transaction Second, byte[] Saved)> TwoPendingSavedAsync()
    {
        var coinbases = await MatureCoinbasesAsync(2);
        var first = _node.Spend(coinbases[0], 0, Alice, (Bob, Reward - 1_000));
        var second = _node.Spend(coinbases[1], 0, Alice, (Carol, Reward - 1_000));
        _node.Engine.SubmitTransaction(first);
        _node.Engine.SubmitTransaction(second);
        _node.Engine.SaveMempool();
        return (first, second, File.ReadAllBytes(MempoolPath(_node.DataDirectory)));
    }

    private static string MempoolPath(string dataDirectory) => Path.Combine(dataDirectory, MempoolFile.FileName);

    public void Dispose() => _node.Dispose();
}
