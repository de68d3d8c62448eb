using System.Collections.Concurrent;
using System.Diagnostics;
using LedgerContrast.ChainNode.Hosting;
using LedgerContrast.ChainNode.Mining;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Measurement;
using LedgerContrast.Shared.Hashing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.ChainNode.Bench;

/// <summary>
/// `chain bench --network`: real nodes on loopback. Block propagation over one hop (two nodes:
/// the per-hop cost measured directly), to the farthest node of an 8-node line and of an 8-node
/// mesh, and the catch-up sync rate of a fresh node.
/// </summary>
public static class NetworkBench
{
    public sealed record Propagation(string Topology, int Nodes, int Blocks, double P50Ms, double P90Ms, double MaxMs);

    public sealed record Report(IReadOnlyList<Propagation> Propagation, int SyncBlocks, double SyncSeconds)
    {
        public double SyncBlocksPerSecond => SyncBlocks / SyncSeconds;
    }

    /// <summary>
    /// Blocks relayed before the measured ones, not counted: a node's first blocks run code the
    /// runtime has not optimised yet (tiered compilation), which a node that has been up for a
    /// while no longer pays. The figures are the steady state.
    /// </summary>
    public const int WarmUpBlocks = 60;

    public static async Task<Report> RunAsync(int nodes = 8, int blocks = 30, int syncBlocks = 2_000)
    {
        var oneHop = await MeasurePropagationAsync("one hop", 2, blocks, (i, all) => i == 0 ? [] : [all[i - 1]]).ConfigureAwait(false);
        var line = await MeasurePropagationAsync("line", nodes, blocks, (i, all) => i == 0 ? [] : [all[i - 1]]).ConfigureAwait(false);
        var mesh = await MeasurePropagationAsync("mesh", nodes, blocks, (i, all) => [.. all.Take(i)]).ConfigureAwait(false);
        var (synced, seconds) = await MeasureSyncAsync(syncBlocks).ConfigureAwait(false);
        return new Report([oneHop, line, mesh], synced, seconds);
    }

    private static async Task<Propagation> MeasurePropagationAsync(string topology, int count, int blocks, Func<int, List<string>, string[]> peersOf)
    {
        var hosts = new List<WebApplication>();
        try
        {
            var addresses = new List<string>();
            for (var i = 0; i < count; i++)
            {
                var app = await StartAsync(peersOf(i, addresses), outbound: topology == "mesh" ? count : 1).ConfigureAwait(false);
                hosts.Add(app);
                addresses.Add(PeerAddress.Parse(app.Urls.First()).ToString());
            }
            // A line (one hop is a line of two): the ends have one peer, the rest two.
            var expectedPeers = Enumerable.Range(0, count).Select(i => topology == "mesh" ? count - 1 : i == 0 || i == count - 1 ? 1 : 2).ToList();
            await WaitAsync(() => hosts.Select((h, i) => h.Services.GetRequiredService<PeerManager>().Peers.Count >= expectedPeers[i]).All(ok => ok)).ConfigureAwait(false);

            var miner = hosts[0].Services.GetRequiredService<Miner>();
            var last = hosts[^1].Services.GetRequiredService<NodeEngine>();
            var arrivals = new ConcurrentDictionary<Hash256, long>();
            last.TipChanged += update => arrivals.TryAdd(update.NewTip.Hash, Stopwatch.GetTimestamp());
            using var key = PrivateKey.Generate();
            var delays = new List<double>();
            for (var b = -WarmUpBlocks; b < blocks; b++)
            {
                var hash = (await miner.GenerateAsync(1, key.PublicKey.ToArray(), 1, CancellationToken.None).ConfigureAwait(false))[0];
                var mined = Stopwatch.GetTimestamp(); // the miner's node has stored and connected it
                await WaitAsync(() => arrivals.ContainsKey(hash)).ConfigureAwait(false);
                if (b >= 0)
                {
                    delays.Add(Stopwatch.GetElapsedTime(mined, arrivals[hash]).TotalMilliseconds);
                }
                else if (b == -1)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false); // lets the runtime finish optimising what the warm-up ran
                }
            }
            var p = Percentiles.Of(delays, 0.5, 0.9, 1.0);
            return new Propagation(topology, count, blocks, p[0], p[1], p[2]);
        }
        finally
        {
            await StopAllAsync(hosts).ConfigureAwait(false);
        }
    }

    private static async Task<(int Blocks, double Seconds)> MeasureSyncAsync(int blocks)
    {
        var hosts = new List<WebApplication>();
        try
        {
            var source = await StartAsync([], outbound: 1).ConfigureAwait(false);
            hosts.Add(source);
            using var key = PrivateKey.Generate();
            await source.Services.GetRequiredService<Miner>().GenerateAsync(blocks, key.PublicKey.ToArray(), 1, CancellationToken.None).ConfigureAwait(false);
            var stopwatch = Stopwatch.StartNew();
            var fresh = await StartAsync([PeerAddress.Parse(source.Urls.First()).ToString()], outbound: 1).ConfigureAwait(false);
            hosts.Add(fresh);
            var engine = fresh.Services.GetRequiredService<NodeEngine>();
            await WaitAsync(() => engine.Read(n => n.Chain.Tip.Height) >= blocks, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
            return (blocks, stopwatch.Elapsed.TotalSeconds);
        }
        finally
        {
            await StopAllAsync(hosts).ConfigureAwait(false);
        }
    }

    private static async Task<WebApplication> StartAsync(string[] peers, int outbound)
    {
        var app = ChainNodeHost.Build(new NodeOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), "lc-netbench-" + Guid.NewGuid().ToString("N")),
            Port = 0,
            Peers = peers,
            Regtest = true,
            Network = "lc-bench",
            TargetOutboundPeers = outbound,
        }, LogLevel.Warning);
        await app.StartAsync().ConfigureAwait(false);
        return app;
    }

    private static async Task StopAllAsync(List<WebApplication> hosts)
    {
        foreach (var host in hosts)
        {
            var directory = host.Services.GetRequiredService<NodeOptions>().DataDirectory;
            await host.StopAsync().ConfigureAwait(false);
            await host.DisposeAsync().ConfigureAwait(false);
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException("The benchmark network did not get there in time.");
            }
            await Task.Delay(1).ConfigureAwait(false);
        }
    }
}
