using System.Diagnostics;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.ChainNode.Mining;

/// <summary>
/// Mines on the node's tip with N threads. Each round takes a fresh template; workers give it up
/// as soon as the tip changes (checked every 1,024 hashes) or after a second, so new mempool
/// transactions get in.
/// </summary>
public sealed partial class Miner(NodeEngine node, ILogger logger) : IDisposable
{
    private static readonly TimeSpan s_templateRefresh = TimeSpan.FromSeconds(1);
    private readonly Lock _control = new();
    private Thread? _loop;
    private volatile bool _stop;
    private long _hashes;
    private double _hashRate;

    public bool IsMining => _loop is not null;
    public double HashRate => Volatile.Read(ref _hashRate);

    public void Start(byte[] minerKey, int threads)
    {
        ArgumentNullException.ThrowIfNull(minerKey);
        lock (_control)
        {
            StopCore();
            _stop = false;
            _loop = new Thread(() => Loop(minerKey, Math.Max(1, threads))) { IsBackground = true, Name = "miner" };
            _loop.Start();
        }
    }

    public void Stop()
    {
        lock (_control)
        {
            StopCore();
        }
    }

    /// <summary>Mines <paramref name="count"/> blocks now, one after another (regtest's generatetoaddress).</summary>
    public async Task<IReadOnlyList<Hash256>> GenerateAsync(int count, byte[] minerKey, int threads, CancellationToken cancellation)
    {
        var hashes = new List<Hash256>(count);
        while (hashes.Count < count)
        {
            cancellation.ThrowIfCancellationRequested();
            var template = node.CreateTemplate(minerKey);
            var block = Solve(template, Math.Max(1, threads), () => cancellation.IsCancellationRequested);
            if (block is null)
            {
                continue;
            }
            var outcome = await node.SubmitBlockAsync(block).ConfigureAwait(false);
            if (outcome.Acceptance == BlockAcceptance.Accepted && node.Read(n => n.Chain.Tip.Hash) == block.Hash)
            {
                hashes.Add(block.Hash);
            }
        }
        return hashes;
    }

    private void Loop(byte[] minerKey, int threads)
    {
        try
        {
            MineUntilStopped(minerKey, threads);
        }
        catch (NodeStoppedException)
        {
            // The node stopped after a failure; its host is stopping too.
        }
    }

    private void MineUntilStopped(byte[] minerKey, int threads)
    {
        var rateClock = Stopwatch.StartNew();
        long lastHashes = 0;
        while (!_stop)
        {
            var template = node.CreateTemplate(minerKey);
            var round = Stopwatch.StartNew();
            var block = Solve(template, threads, () => _stop || node.TemplateVersion != template.Version || round.Elapsed > s_templateRefresh);
            if (rateClock.Elapsed > TimeSpan.FromSeconds(1))
            {
                var total = Interlocked.Read(ref _hashes);
                Volatile.Write(ref _hashRate, (total - lastHashes) / rateClock.Elapsed.TotalSeconds);
                lastHashes = total;
                rateClock.Restart();
            }
            if (block is null)
            {
                continue;
            }
            try
            {
                var outcome = node.SubmitBlockAsync(block).GetAwaiter().GetResult();
                if (outcome.Acceptance == BlockAcceptance.Accepted)
                {
                    LogFound(logger, template.Height, block.Hash);
                }
            }
            catch (ConsensusException ex)
            {
                LogRejected(logger, block.Hash, ex.Reason); // e.g. a time rule on a clock jump: try again
            }
            catch (Exception ex) when (ex is ObjectDisposedException or NodeStoppedException)
            {
                return;
            }
        }
    }

    private Block? Solve(BlockTemplate template, int threads, Func<bool> giveUp)
    {
        ulong? found = null;
        var solved = 0;
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var start = (ulong)t;
            workers[t] = new Thread(() =>
            {
                var nonce = NonceSearch.Search(template.Header, start, (ulong)threads, () => giveUp() || Volatile.Read(ref solved) != 0, ref _hashes);
                if (nonce is not null)
                {
                    lock (workers)
                    {
                        found ??= nonce;
                    }
                    Volatile.Write(ref solved, 1);
                }
            })
            { IsBackground = true, Name = $"miner-{t}" };
            workers[t].Start();
        }
        foreach (var worker in workers)
        {
            worker.Join();
        }
        return found is { } winning ? new Block(template.Header with { Nonce = winning }, template.Transactions) : null;
    }

    private void StopCore()
    {
        if (_loop is null)
        {
            return;
        }
        _stop = true;
        _loop.Join();
        _loop = null;
        Volatile.Write(ref _hashRate, 0);
    }

    public void Dispose() => Stop();

    [LoggerMessage(Level = LogLevel.Information, Message = "Mined block {Height}: {Hash}")]
    private static partial void LogFound(ILogger logger, uint height, Hash256 hash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Own block {Hash} was refused: {Reason}")]
    private static partial void LogRejected(ILogger logger, Hash256 hash, string reason);
}
