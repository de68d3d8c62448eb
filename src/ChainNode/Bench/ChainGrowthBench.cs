using System.Diagnostics;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using Microsoft.Extensions.Logging.Abstractions;

namespace LedgerContrast.ChainNode.Bench;

/// <summary>
/// `chain bench --chain-length 10000,50000`: how a node copes as its chain grows. One fresh node
/// takes regtest blocks (each a coinbase to a key of its own, so the UTXO set and the
/// transaction index grow with the chain) in order, in batches as a catch-up sync delivers them; at each
/// length the node is restarted and its startup timed. Sync speed is reported for blocks
/// 1,001–2,000 (the first 1,000 warm the JIT and caches up) and for the last 1,000 blocks before
/// each length: if connecting a block got slower as the chain grew, the ratio shows it.
/// </summary>
public static class ChainGrowthBench
{
    public const int Window = 1_000;

    public sealed record Checkpoint(int Blocks, double StartupSeconds, double BlocksPerSecondNearHere);

    public sealed record Report(double BlocksPerSecondAtStart, IReadOnlyList<Checkpoint> Checkpoints)
    {
        /// <summary>Sync speed over the last window before the longest length, as a share of the speed over blocks 1,001–2,000.</summary>
        public double EndToStartRatio => BlocksPerSecondAtStart == 0 ? 0 : Checkpoints[^1].BlocksPerSecondNearHere / BlocksPerSecondAtStart;
    }

    public static async Task<Report> RunAsync(IReadOnlyList<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        var goals = lengths.Where(l => l >= 2 * Window).Distinct().Order().ToList();
        if (goals.Count == 0)
        {
            throw new ArgumentException($"Give chain lengths of at least {2 * Window} blocks.");
        }
        var parameters = ChainParameters.ForRegtest("lc-bench-growth", coinbaseMaturity: 1);
        var directory = Path.Combine(Path.GetTempPath(), "lc-chain-growth-" + Guid.NewGuid().ToString("N"));
        var blocks = Build(parameters, goals[^1]);
        var checkpoints = new List<Checkpoint>();
        var atStart = 0.0;
        var node = new NodeEngine(parameters, directory, NullLogger.Instance);
        try
        {
            var windowClock = Stopwatch.StartNew();
            var marks = goals.SelectMany(g => new[] { g - Window, g }).Append(Window).Append(2 * Window).ToHashSet();
            for (var i = 0; i < blocks.Count;)
            {
                // As a catch-up sync delivers them: a GetBlocks reply at a time, never past a mark.
                var count = 1;
                while (count < Network.PeerManager.MaxBlocksPerRequest && i + count < blocks.Count && !marks.Contains(i + count))
                {
                    count++;
                }
                var refused = (await node.SubmitBlocksAsync(blocks.GetRange(i, count)).ConfigureAwait(false)).FirstOrDefault(r => r.Refusal is not null);
                if (refused is not null)
                {
                    throw refused.Refusal!;
                }
                i += count;
                var height = i;
                if (height == 2 * Window)
                {
                    atStart = Window / windowClock.Elapsed.TotalSeconds;
                }
                if (height == Window || goals.Any(g => g - Window == height))
                {
                    windowClock.Restart();
                }
                if (goals.Contains(height))
                {
                    var rate = Window / windowClock.Elapsed.TotalSeconds;
                    node.Dispose();
                    var startup = Stopwatch.StartNew();
                    node = new NodeEngine(parameters, directory, NullLogger.Instance);
                    checkpoints.Add(new Checkpoint(height, startup.Elapsed.TotalSeconds, rate));
                }
            }
        }
        finally
        {
            node.Dispose();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        return new Report(atStart, checkpoints);
    }

    /// <summary>A regtest chain of <paramref name="length"/> blocks, times 1 ms apart ending now (the future-time rule holds).</summary>
    private static List<Block> Build(ChainParameters parameters, int length)
    {
        var genesis = Genesis.Create(parameters);
        var target = Target.FromCompact(ChainParameters.RegtestBits);
        var time = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (ulong)length - 1;
        var previous = genesis.Hash;
        var blocks = new List<Block>(length);
        var payee = new byte[32];
        for (var height = 1u; height <= length; height++)
        {
            BitConverter.TryWriteBytes(payee, height);
            payee[31] = 1;
            var coinbase = Transaction.CreateCoinbase(height, [new TxOutput(parameters.BlockReward, payee)]);
            var header = new BlockHeader(BlockHeader.CurrentVersion, previous, MerkleTree.ComputeRoot([coinbase.Wtxid]), time + height, ChainParameters.RegtestBits, 0);
            while (!Target.MeetsTarget(header.Hash, target))
            {
                header = header with { Nonce = header.Nonce + 1 };
            }
            blocks.Add(new Block(header, [coinbase]));
            previous = header.Hash;
        }
        return blocks;
    }
}
