using LedgerContrast.ChainNode.Consensus;

namespace LedgerContrast.ChainNode.Hosting;

/// <summary>Everything `chain node` is told on its command line.</summary>
public sealed record NodeOptions
{
    public required string DataDirectory { get; init; }
    public int Port { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    public IReadOnlyList<string> Peers { get; init; } = [];
    public bool Mine { get; init; }
    public string? MinerAddress { get; init; }
    public int MinerThreads { get; init; } = 1;
    public string Network { get; init; } = ChainParameters.DefaultNetwork;
    public bool Regtest { get; init; }
    public int? CoinbaseMaturity { get; init; }
    public TimeSpan BlockInterval { get; init; } = TimeSpan.FromSeconds(5);
    public int TargetOutboundPeers { get; init; } = 8;
    public TimeSpan BanDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often every peer gets an empty announcement. A peer that no longer holds our session
    /// (it removed or banned us, or restarted) says so at once, and a dead one fails three in a row:
    /// either way it leaves our peer list, so peer counts stay true when nothing else is said.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often transactions this node's clients submitted are announced again while they are pending.</summary>
    public TimeSpan RebroadcastInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Simulated network distance: each message to a peer waits this long before it is sent (<see cref="Network.SimulatedLinkLatency"/>).</summary>
    public TimeSpan LinkLatency { get; init; }

    /// <summary>The largest block this node's miner builds (bytes); the consensus limit by default.</summary>
    public int BlockMaxSize { get; init; } = int.MaxValue;

    /// <summary>How many bytes of transactions the mempool holds before it evicts the lowest fee rate.</summary>
    public long MempoolBytes { get; init; } = 5_000_000;

    public ChainParameters ToParameters() => new()
    {
        Network = Regtest && Network == ChainParameters.DefaultNetwork ? "lc-regtest" : Network,
        Regtest = Regtest,
        CoinbaseMaturity = CoinbaseMaturity ?? (Regtest ? 10 : 100),
        BlockInterval = BlockInterval,
    };
}
