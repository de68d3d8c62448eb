using System.Globalization;
using System.Net;

namespace LedgerContrast.CentralBank.Replication;

/// <summary>One replica: where its gRPC API listens and where its Raft transport does.</summary>
public sealed record ReplicaAddress(string Host, int GrpcPort, int RaftPort)
{
    public string GrpcUrl => $"http://{Host}:{GrpcPort}";

    public IPEndPoint RaftEndPoint => new(ReplicaSet.Resolve(Host), RaftPort);

    public override string ToString() => $"{Host}:{GrpcPort}";
}

/// <summary>
/// The replicas of a replicated bank, as `bank serve --replicas` lists them: each
/// <c>host:grpcPort</c> (its Raft port is the gRPC port + <see cref="RaftPortOffset"/>) or
/// <c>host:grpcPort/raftPort</c>. Every replica is started with the same list, in the same order;
/// <c>--replica N</c> says which one a process is.
/// </summary>
public sealed record ReplicaSet(IReadOnlyList<ReplicaAddress> Replicas)
{
    public const int RaftPortOffset = 1000;
    public const int MaxReplicas = 7;

    /// <summary>Parses the list, or says in one sentence what is wrong with it.</summary>
    public static ReplicaSet Parse(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var items = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length is < 1 or > MaxReplicas)
        {
            throw new FormatException($"--replicas lists {items.Length} replicas; give 1 to {MaxReplicas} (3 or 5 tolerate 1 or 2 failures).");
        }
        var replicas = new List<ReplicaAddress>();
        foreach (var item in items)
        {
            var (address, raft) = item.Split('/') switch
            {
                [var a] => (a, (int?)null),
                [var a, var r] => (a, Port(r, item)),
                _ => throw new FormatException($"'{item}' is not host:port or host:port/raftPort."),
            };
            var colon = address.LastIndexOf(':');
            if (colon <= 0)
            {
                throw new FormatException($"'{item}' is not host:port or host:port/raftPort.");
            }
            var host = address[..colon];
            _ = Resolve(host);
            var grpc = Port(address[(colon + 1)..], item);
            var raftPort = raft ?? grpc + RaftPortOffset;
            if (raftPort > 65535)
            {
                throw new FormatException($"'{item}': its Raft port would be {raftPort}; give it as {address}/PORT.");
            }
            replicas.Add(new ReplicaAddress(host, grpc, raftPort));
        }
        var ports = replicas.SelectMany(r => new[] { (r.Host, r.GrpcPort), (r.Host, r.RaftPort) }).ToList();
        if (ports.Distinct().Count() != ports.Count)
        {
            throw new FormatException("--replicas uses one host:port twice (gRPC and Raft ports must all differ).");
        }
        return new ReplicaSet(replicas);
    }

    public int Count => Replicas.Count;

    /// <summary>The replica whose Raft transport is at <paramref name="endPoint"/>, if one is.</summary>
    public ReplicaAddress? ByRaftEndPoint(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => Replicas.FirstOrDefault(r => r.RaftPort == ip.Port && r.RaftEndPoint.Address.Equals(ip.Address)),
        DnsEndPoint dns => Replicas.FirstOrDefault(r => r.RaftPort == dns.Port && string.Equals(r.Host, dns.Host, StringComparison.OrdinalIgnoreCase)),
        _ => null,
    };

    internal static IPAddress Resolve(string host) =>
        host == "localhost" ? IPAddress.Loopback
        : IPAddress.TryParse(host, out var ip) ? ip
        : throw new FormatException($"'{host}' is not an IP address (replicas are named by address, e.g. 127.0.0.1).");

    private static int Port(string text, string item) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new FormatException($"'{item}': '{text}' is not a port (1-65535).");
}
