using System.Diagnostics;
using System.Numerics;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Mining;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using Microsoft.Extensions.Logging.Abstractions;


namespace LedgerContrast.ChainNode.Tests.Mining;

public class MiningTests
{
    [Fact]
    public async Task Generate_mines_blocks_that_pay_the_miner_and_include_the_mempool()
    {
        using var node = new TestNode();
        using var miner = new LedgerContrast.ChainNode.Mining.Miner(node.Engine, NullLogger.Instance);
        var first = await miner.GenerateAsync(3, Keys.Alice.PublicKey.ToArray(), threads: 2, CancellationToken.None);
        Assert.Equal(3, first.Count);
        Assert.Equal(3u, node.Tip.Height);

        var coinbase = node.Engine.Read(n => n.Chain.LoadBlock(first[0]))!.Transactions[0];
        var pay = node.Spend(coinbase, 0, Keys.Alice, (Keys.Bob, 49 * 100_000_000L));
        node.Engine.SubmitTransaction(pay);
        var next = await miner.GenerateAsync(1, Keys.Miner.PublicKey.ToArray(), threads: 1, CancellationToken.None);

        var block = node.Engine.Read(n => n.Chain.LoadBlock(next[0]))!;
        Assert.Contains(block.Transactions, t => t.Txid == pay.Txid);
        Assert.Equal(51 * 100_000_000L, block.Transactions[0].TotalOutput().MinorUnits); // reward + 1 unit of fee
    }

    [Fact]
    public void The_nonce_search_gives_up_within_one_check_interval_of_being_told()
    {
        // A target no one will meet: the search can only end by being told to stop. It checks every
        // 1,024 hashes — about 0.8 ms at this machine's 1.3 M hash/s per thread, well under 10 ms.
        // Counted in hashes rather than timed, so a busy machine cannot make the test lie either way.
        var header = new BlockHeader(1, Hash256.Zero, Hash256.Zero, 0, Target.ToCompact(BigInteger.One << 8), 0);
        var stop = 0L;
        long hashes = 0, hashesWhenTold = 0;
        var searcher = new Thread(() => NonceSearch.Search(header, 0, 1, () => Interlocked.Read(ref stop) != 0, ref hashes));
        searcher.Start();
        SpinWait.SpinUntil(() => Interlocked.Read(ref hashes) > 100_000, TimeSpan.FromSeconds(30));
        hashesWhenTold = Interlocked.Read(ref hashes);
        Interlocked.Exchange(ref stop, 1);
        searcher.Join();

        Assert.InRange(Interlocked.Read(ref hashes) - hashesWhenTold, 0, 2 * NonceSearch.CheckEvery);
    }

    [Fact]
    public async Task A_running_miner_extends_the_chain_and_stops_when_asked()
    {
        using var node = new TestNode();
        using var miner = new LedgerContrast.ChainNode.Mining.Miner(node.Engine, NullLogger.Instance);
        miner.Start(Keys.Miner.PublicKey.ToArray(), threads: 2);
        var deadline = Stopwatch.StartNew();
        while (node.Tip.Height < 5 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }
        miner.Stop();
        Assert.True(node.Tip.Height >= 5);
        Assert.False(miner.IsMining);

        // A stopped miner adds nothing more: while 20 blocks are mined on demand to Alice, a still
        // running regtest miner (hundreds of blocks a second) would slip in blocks paying its key.
        var stoppedAt = node.Tip.Height;
        var generated = await miner.GenerateAsync(20, Keys.Alice.PublicKey.ToArray(), threads: 1, CancellationToken.None);
        Assert.Equal(stoppedAt + 20, node.Tip.Height);
        var alice = Keys.Alice.PublicKey.ToArray();
        Assert.All(Enumerable.Range((int)stoppedAt + 1, 20), height =>
            Assert.Equal(alice, node.Engine.FindBlockAtHeight((uint)height)!.Value.Block.Transactions[0].Outputs[0].PublicKey.ToArray()));
        Assert.Equal(20, generated.Count);
    }

    [Fact]
    public void Difficulty_rises_when_blocks_come_too_fast_falls_when_slow_and_moves_at_most_2x_per_block()
    {
        var parameters = new ChainParameters { BlockInterval = TimeSpan.FromSeconds(5) };
        var start = ChainParameters.InitialBits;
        List<BlockHeader> Window(ulong spacingMs) => [.. Enumerable.Range(0, 21).Select(i => new BlockHeader(1, Hash256.Zero, Hash256.Zero, (ulong)i * spacingMs, start, 0))];

        var onTime = Target.FromCompact(Difficulty.NextBits(Window(5_000), parameters));
        var fast = Target.FromCompact(Difficulty.NextBits(Window(2_500), parameters));
        var veryFast = Target.FromCompact(Difficulty.NextBits(Window(10), parameters));
        var slow = Target.FromCompact(Difficulty.NextBits(Window(20_000), parameters));
        var initial = Target.FromCompact(start);

        Assert.True(BigInteger.Abs(onTime - initial) * 1000 < initial); // within compact-encoding rounding
        Assert.True(fast < initial && fast * 2 >= initial - initial / 1000);
        Assert.True(veryFast * 2 >= initial - initial / 1000); // bounded: at most twice as hard
        Assert.True(slow > initial && slow <= initial * 2 + initial / 1000);
        Assert.Equal(start, Difficulty.NextBits(Window(10), ChainParameters.ForRegtest())); // regtest never retargets
    }

    [Fact]
    public void Genesis_is_derived_from_the_network_so_each_network_has_its_own_id()
    {
        var a = Genesis.Create(ChainParameters.ForRegtest("net-a")).Hash;
        Assert.Equal(a, Genesis.Create(ChainParameters.ForRegtest("net-a")).Hash);
        Assert.NotEqual(a, Genesis.Create(ChainParameters.ForRegtest("net-b")).Hash);
        Assert.NotEqual(a, Genesis.Create(ChainParameters.ForRegtest("net-a", coinbaseMaturity: 3)).Hash);
    }
}
