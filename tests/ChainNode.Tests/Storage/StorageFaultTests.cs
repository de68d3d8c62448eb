using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Rpc;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Storage;
using LedgerContrast.TestSupport;
using static LedgerContrast.ChainNode.Tests.Harness.Keys;
using Block = LedgerContrast.Shared.Chain.Block;

namespace LedgerContrast.ChainNode.Tests.Storage;

/// <summary>
/// Storage that fails part way through a reorganisation (TigerBeetle's VOPR injects faults the
/// same way): the node stops at once, and a restart from its file lands on the heaviest chain.
/// </summary>
public sealed class StorageFaultTests : IDisposable
{
    private const int LightLength = 10;
    private TestNode _node = new();

    /// <summary>
    /// Light branch of 10 blocks active, a heavier branch of 11 whose first 10 are stored: the
    /// 11th triggers a reorg of 1 store + 10 disconnects + 11 connects = 22 transactions.
    /// </summary>
    private async Task<(Block LightTip, Block HeavyTip)> TwoBranchesAsync()
    {
        var fork = _node.Tip;
        Block? lightTip = null;
        for (var i = 0; i < LightLength; i++)
        {
            lightTip = await _node.MineAsync(Alice);
        }
        var parent = fork;
        Block? heavy = null;
        for (var i = 0; i < LightLength; i++)
        {
            heavy = _node.NewBlock(parent).PayingTo(Bob).Build();
            await _node.Engine.SubmitBlockAsync(heavy);
            parent = _node.Engine.Read(n => n.Chain.Find(heavy.Hash))!;
        }
        Assert.Equal(lightTip!.Hash, _node.Tip.Hash);
        return (lightTip, _node.NewBlock(parent).PayingTo(Bob).Build());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(17)]
    [InlineData(22)]
    public async Task A_restart_after_a_storage_failure_in_the_middle_of_a_reorg_resumes_on_the_heaviest_chain(int failingWrite)
    {
        var faults = new FailingWrite();
        _node = _node.Restart(faults);
        var (lightTip, heavyTip) = await TwoBranchesAsync();

        faults.FailAt(failingWrite);
        await Assert.ThrowsAsync<NodeStoppedException>(() => _node.Engine.SubmitBlockAsync(heavyTip));

        _node = _node.Restart();
        // The first write stores the heavier branch's last block: failing it leaves that block unknown.
        var expected = failingWrite == 1 ? lightTip : heavyTip;
        Assert.Equal(expected.Hash, _node.Tip.Hash);
        Assert.Empty(_node.Engine.Verify());
    }

    [Fact]
    public async Task A_storage_failure_stops_the_node_at_once_and_it_serves_nothing_from_memory()
    {
        var faults = new FailingWrite();
        _node = _node.Restart(faults);
        var (_, heavyTip) = await TwoBranchesAsync();

        faults.FailAt(5);
        var stop = await Assert.ThrowsAsync<NodeStoppedException>(() => _node.Engine.SubmitBlockAsync(heavyTip));

        Assert.Equal(Grpc.Core.StatusCode.Unavailable, ChainNode.Api.NodeStatuses.Of(stop));
        Assert.Equal("NODE_STOPPED", stop.Reason);
        Assert.False(_node.Engine.IsHealthy);
        Assert.True(_node.Engine.Stopped.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)));
        Assert.Throws<NodeStoppedException>(() => _node.Tip);
        Assert.Throws<NodeStoppedException>(() => _node.Engine.StatusOf(heavyTip.Transactions[0].Txid));
        await Assert.ThrowsAsync<NodeStoppedException>(() => _node.Engine.SubmitBlockAsync(heavyTip));
    }

    [Fact]
    public async Task A_block_stored_but_never_connected_is_connected_at_restart()
    {
        var faults = new FailingWrite();
        _node = _node.Restart(faults);
        var first = await _node.MineAsync(Alice);
        var second = _node.NewBlock().PayingTo(Alice).Build();

        faults.FailAt(2); // the block is stored; connecting it fails
        await Assert.ThrowsAsync<NodeStoppedException>(() => _node.Engine.SubmitBlockAsync(second));

        _node = _node.Restart();
        Assert.Equal(second.Hash, _node.Tip.Hash);
        Assert.Equal(first.Hash, _node.Tip.Parent!.Hash);
    }

    [Fact]
    public async Task A_reorg_finished_at_restart_returns_the_old_branch_payments_to_the_mempool()
    {
        var funding = (await _node.MineAsync(Alice)).Transactions[0];
        await _node.MineManyAsync(_node.Parameters.CoinbaseMaturity, Miner);
        var faults = new FailingWrite();
        _node = _node.Restart(faults);
        var fork = _node.Tip;
        var payment = _node.Spend(funding, 0, Alice, (Bob, 50 * Amount.MinorPerUnit - 1_000));
        await _node.MineAsync(Miner, payment);
        var heavy1 = _node.NewBlock(fork).Build();
        await _node.Engine.SubmitBlockAsync(heavy1);
        var heavy2 = _node.NewBlock(_node.Engine.Read(n => n.Chain.Find(heavy1.Hash))!).Build();

        faults.FailAt(3); // stored, old block disconnected, the first heavy block's connect fails
        await Assert.ThrowsAsync<NodeStoppedException>(() => _node.Engine.SubmitBlockAsync(heavy2));

        _node = _node.Restart();
        Assert.Equal(heavy2.Hash, _node.Tip.Hash);
        Assert.Equal(TransactionState.Pending, _node.StatusOf(payment).State);
    }

    [Fact]
    public async Task A_storage_failure_in_a_catch_up_batch_loses_the_whole_batch_and_a_restart_resumes_from_the_tip_before_it()
    {
        using var source = new TestNode(_node.Parameters);
        var blocks = new List<Block>();
        for (var i = 0; i < 30; i++)
        {
            blocks.Add(await source.MineAsync(Alice));
        }
        Assert.All(await _node.Engine.SubmitBlocksAsync(blocks[..10]), r => Assert.Null(r.Refusal));
        var faults = new FailingWrite();
        _node = _node.Restart(faults);
        Assert.Equal(blocks[9].Hash, _node.Tip.Hash);

        faults.FailAt(7); // the fourth block's store, part way through the batch of twenty
        await Assert.ThrowsAsync<NodeStoppedException>(() => _node.Engine.SubmitBlocksAsync(blocks[10..]));

        _node = _node.Restart();
        Assert.Equal(blocks[9].Hash, _node.Tip.Hash); // one transaction: none of the batch, not three blocks of it
        Assert.Empty(_node.Engine.Verify());
        Assert.All(await _node.Engine.SubmitBlocksAsync(blocks[10..]), r => Assert.Null(r.Refusal));
        Assert.Equal(blocks[^1].Hash, _node.Tip.Hash);
        Assert.Empty(_node.Engine.Verify());
    }

    [Fact]
    public void A_store_written_by_an_earlier_release_is_refused_with_what_to_do()
    {
        var directory = TempDirectory.NewPath("lc-old-store-");
        try
        {
            Directory.CreateDirectory(directory);
            using (var old = new LiteDB.LiteDatabase(Path.Combine(directory, ChainNode.Storage.ChainStore.FileName)))
            {
                old.GetCollection("tx_locations").Insert(new LiteDB.BsonDocument { ["_id"] = new string('a', 64) });
            }
            var refusal = Assert.Throws<InvalidOperationException>(() => new ChainNode.Storage.ChainStore(directory));
            Assert.Contains("earlier release", refusal.Message, StringComparison.Ordinal);
            Assert.Contains("resync from its peers", refusal.Message, StringComparison.Ordinal);
        }
        finally
        {
            TempDirectory.Delete(directory);
        }
    }

    public void Dispose() => _node.Dispose();

    /// <summary>Throws what a failing disk would at the Nth storage write after <see cref="FailAt"/>, and at every one after it.</summary>
    private sealed class FailingWrite : IStorageFaultInjector
    {
        private int _remaining = int.MaxValue;

        public void FailAt(int write) => Volatile.Write(ref _remaining, write);

        public void Before(StorageStep step)
        {
            if (step == StorageStep.Write && Interlocked.Decrement(ref _remaining) <= 0)
            {
                throw new IOException("Injected storage failure (EIO).");
            }
        }
    }
}

/// <summary>The same fail-stop in a real process on a real disk that fills up.</summary>
public sealed class DiskFullTests
{
    [TmpfsFact]
    public async Task A_node_whose_disk_fills_stops_with_exit_70_and_restarts_consistent_once_space_returns()
    {
        using var disk = Tmpfs.Mount(megabytes: 32);
        var data = Path.Combine(disk.Path, "node");
        using var builder = new TestNode(ChainParameters.ForRegtest());
        var blocks = new List<Block>();
        for (var i = 0; i < 30; i++)
        {
            blocks.Add(await builder.MineAsync(Alice));
        }
        var accepted = 0;
        string filler;
        using (var node = await ServerProcess.StartAsync("chain.dll", ["node", "--data", data, "--port", "0", "--regtest"]))
        {
            using var channel = GrpcChannel.ForAddress(node.Url);
            var api = new NodeService.NodeServiceClient(channel);
            for (; accepted < 10; accepted++)
            {
                await api.SubmitBlockAsync(new SubmitBlockRequest { Block = blocks[accepted].ToProto() });
            }

            filler = disk.FillLeaving(bytes: 0);
            RpcException? stopped = null;
            while (stopped is null && accepted < blocks.Count)
            {
                try
                {
                    await api.SubmitBlockAsync(new SubmitBlockRequest { Block = blocks[accepted].ToProto() });
                    accepted++; // the page cache may take a few before the disk says no
                }
                catch (RpcException ex)
                {
                    stopped = ex;
                }
            }

            Assert.NotNull(stopped);
            Assert.Equal((StatusCode.Unavailable, "NODE_STOPPED"), (stopped.StatusCode, RpcErrors.Describe(stopped).Reason));
            var (exitCode, stderr) = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(70, exitCode);
            Assert.Contains("stopped after a storage failure", stderr, StringComparison.Ordinal);
        }

        File.Delete(filler);
        var verify = await ServerProcess.RunAsync("chain.dll", ["verify", "--data", data, "--regtest", "--json"]);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Equal(blocks[accepted - 1].Hash.ToString(), JsonDocument.Parse(verify.Stdout).RootElement.GetProperty("tip").GetString());
        using (var restarted = await ServerProcess.StartAsync("chain.dll", ["node", "--data", data, "--port", "0", "--regtest"]))
        {
            using var channel = GrpcChannel.ForAddress(restarted.Url);
            var api = new NodeService.NodeServiceClient(channel);
            foreach (var block in blocks.Skip(accepted))
            {
                await api.SubmitBlockAsync(new SubmitBlockRequest { Block = block.ToProto() });
            }
            var tip = await api.GetInfoAsync(new GetInfoRequest());
            Assert.Equal((uint)blocks.Count, tip.Height);
        }
    }
}
