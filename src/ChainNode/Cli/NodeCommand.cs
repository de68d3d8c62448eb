using System.CommandLine;
using LedgerContrast.ChainNode.Hosting;

namespace LedgerContrast.ChainNode.Cli;

/// <summary>`chain node`: runs one peer-to-peer node until stopped.</summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "gRPC port for peers and clients (0 = any free port).", DefaultValueFactory = _ => 7200 };
        var data = new Option<string>("--data") { Description = "Data directory (chain.db).", Required = true };
        var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var peers = new Option<string[]>("--peer") { Description = "A peer to connect to, HOST:PORT (repeatable).", AllowMultipleArgumentsPerToken = false };
        var mine = new Option<bool>("--mine") { Description = "Mine blocks." };
        var minerAddress = new Option<string?>("--miner-address") { Description = "Address the mined coins go to." };
        var network = new Option<string>("--network") { Description = "Network name (nodes of different networks refuse each other).", DefaultValueFactory = _ => Consensus.ChainParameters.DefaultNetwork };
        var regtest = new Option<bool>("--regtest") { Description = "Trivial fixed difficulty for tests and scripts." };
        var maturity = new Option<int?>("--coinbase-maturity") { Description = "Blocks before a coinbase can be spent (default 100, regtest 10)." };
        var interval = new Option<TimeSpan>("--block-interval") { Description = "Target time between blocks, e.g. 5s.", DefaultValueFactory = _ => TimeSpan.FromSeconds(5), CustomParser = ParseDuration };
        var threads = new Option<int>("--miner-threads") { Description = "Mining threads.", DefaultValueFactory = _ => 1 };
        var outbound = new Option<int>("--outbound") { Description = "Target number of outbound peers (addresses learned from peers are dialled up to it).", DefaultValueFactory = _ => 8 };
        var linkLatency = new Option<TimeSpan>("--link-latency")
        {
            Description = "Simulated network distance: every message to a peer waits this long before it is sent, e.g. 100ms (default 0).",
            CustomParser = r => r.Tokens.Count > 0 && r.Tokens[0].Value.Trim() is "0" or "0ms" or "0s" ? TimeSpan.Zero : ParseDuration(r),
        };
        var blockMaxSize = new Option<int?>("--block-max-size") { Description = "Miner policy: the largest block this node builds, in bytes (1,000 to 1,000,000; default the consensus limit). Blocks from others may be larger." };
        blockMaxSize.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is { } v && v is < 1_000 or > 1_000_000)
            {
                r.AddError("--block-max-size takes a size from 1,000 to 1,000,000 bytes.");
            }
        });
        var mempoolSize = new Option<long>("--mempool-size") { Description = "Bytes of transactions the mempool holds before it evicts the lowest fee rate (100,000 to 1,000,000,000; default 5,000,000).", DefaultValueFactory = _ => 5_000_000 };
        mempoolSize.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() is < 100_000 or > 1_000_000_000)
            {
                r.AddError("--mempool-size takes a size from 100,000 to 1,000,000,000 bytes.");
            }
        });
        var command = new Command("node", "Run a node.") { port, data, host, peers, mine, minerAddress, network, regtest, maturity, interval, threads, outbound, linkLatency, blockMaxSize, mempoolSize };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = new NodeOptions
            {
                DataDirectory = parse.GetValue(data)!,
                Port = parse.GetValue(port),
                Host = parse.GetValue(host)!,
                Peers = parse.GetValue(peers) ?? [],
                Mine = parse.GetValue(mine),
                MinerAddress = parse.GetValue(minerAddress),
                MinerThreads = Math.Max(1, parse.GetValue(threads)),
                Network = parse.GetValue(network)!,
                Regtest = parse.GetValue(regtest),
                CoinbaseMaturity = parse.GetValue(maturity),
                BlockInterval = parse.GetValue(interval),
                TargetOutboundPeers = Math.Max(0, parse.GetValue(outbound)),
                LinkLatency = parse.GetValue(linkLatency),
                BlockMaxSize = parse.GetValue(blockMaxSize) ?? int.MaxValue,
                MempoolBytes = parse.GetValue(mempoolSize),
            };
            return await NodeRunner.RunAsync(options, cancellation).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Accepts "5s", "500ms", "2m" as well as .NET's "00:00:05".</summary>
    internal static TimeSpan ParseDuration(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "5s";
        static bool Number(string s, out double value) => double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value) && value > 0;
        if (text.EndsWith("ms", StringComparison.Ordinal) && Number(text[..^2], out var ms))
        {
            return TimeSpan.FromMilliseconds(ms);
        }
        if (text.EndsWith('s') && Number(text[..^1], out var s))
        {
            return TimeSpan.FromSeconds(s);
        }
        if (text.EndsWith('m') && Number(text[..^1], out var m))
        {
            return TimeSpan.FromMinutes(m);
        }
        if (TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return span;
        }
        result.AddError($"'{text}' is not a duration; use e.g. 5s, 500ms or 2m.");
        return TimeSpan.Zero;
    }
}
