using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Collections;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Network;

/// <summary>
/// One connection with another node, as this node knows it: the session we issued it (its
/// calls to us carry it), the session it issued us (our calls to it carry it), and whether its
/// address is proven — we dialled it ourselves, or it vouched for the dial-back. Its node id is
/// only a label: identity is the session.
/// </summary>
public sealed class Peer : IDisposable
{
    public const string SessionHeader = "lc-session";

    private readonly GrpcChannel _channel;
    private uint _bestHeight;
    private int _consecutiveFailures;

    public Peer(PeerAddress address, bool outbound, string nodeId = "?", TimeSpan linkLatency = default)
    {
        NodeId = nodeId;
        Address = address;
        Outbound = outbound;
        _channel = GrpcChannel.ForAddress(address.Uri, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = PeerManager.MaxMessageBytes,
            MaxSendMessageSize = PeerManager.MaxMessageBytes,
        });
        var invoker = _channel.CreateCallInvoker().Intercept(new PeerTraffic.ClientCounter(this));
        if (linkLatency > TimeSpan.Zero)
        {
            invoker = invoker.Intercept(new SimulatedLinkLatency(linkLatency));
        }
        Client = new PeerService.PeerServiceClient(invoker.Intercept(metadata =>
        {
            if (OutboundSession is { } session)
            {
                metadata.Add(SessionHeader, session);
            }
            return metadata;
        }));
    }

    /// <summary>Unique per connection object; the key of the peer table.</summary>
    public string Key { get; } = Guid.NewGuid().ToString("N");

    public string NodeId { get; set; }

    /// <summary>The address it claimed (inbound) or we dialled (outbound); proven once <see cref="Verified"/>.</summary>
    public PeerAddress Address { get; }

    /// <summary>Whether this node opened the connection.</summary>
    public bool Outbound { get; }

    /// <summary>Where its calls come from, as the transport saw it (for logs: on loopback every peer shares 127.0.0.1).</summary>
    public string ObservedEndpoint { get; set; } = "";

    public string? InboundSession { get; set; }
    public string? OutboundSession { get; set; }

    /// <summary>Both directions work and the address is proven: only now is it relayed to, and advertised.</summary>
    public bool Verified { get; set; }

    public PeerService.PeerServiceClient Client { get; }
    public ulong ConnectedMs { get; } = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The highest block this peer has told us of (handshake or announcement).</summary>
    public uint BestHeight
    {
        get => Volatile.Read(ref _bestHeight);
        set => Volatile.Write(ref _bestHeight, value);
    }

    /// <summary>No catch-up from this peer before this time: its last round brought nothing new.</summary>
    public DateTime SyncPausedUntil { get; set; }
    public TimeSpan SyncBackoff { get; set; }

    private long _bytesSent;
    private long _bytesReceived;

    /// <summary>Protobuf bytes sent to this peer (our requests, our answers to its calls).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Protobuf bytes received from this peer (its answers, its calls to us).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public void CountTraffic(long sent, long received)
    {
        Interlocked.Add(ref _bytesSent, sent);
        Interlocked.Add(ref _bytesReceived, received);
    }

    public void CallSucceeded() => Interlocked.Exchange(ref _consecutiveFailures, 0);

    /// <returns>How many calls in a row have now failed.</returns>
    public int CallFailed() => Interlocked.Increment(ref _consecutiveFailures);

    private readonly Lock _knownLock = new();
    private readonly BoundedLru<Hash256, bool> _knownBlocks = new(1_024);

    /// <summary>This peer has the block (it announced or sent it, or we did to it): it is never pushed there.</summary>
    public void MarkKnown(Hash256 block) => _ = CheckAndMarkKnown(block);

    /// <summary>Marks the block known to this peer; returns whether it already was (so exactly one relay path sends it).</summary>
    public bool CheckAndMarkKnown(Hash256 block)
    {
        lock (_knownLock)
        {
            if (_knownBlocks.ContainsKey(block))
            {
                return true;
            }
            _knownBlocks.Set(block, true);
            return false;
        }
    }

    /// <summary>One catch-up sync with this peer at a time.</summary>
    public SemaphoreSlim SyncGate { get; } = new(1, 1);

    public void Dispose()
    {
        _channel.Dispose();
        SyncGate.Dispose();
    }
}
