using Grpc.Net.Client;
using LedgerContrast.Protos.Chain.V1;

namespace LedgerContrast.ChainNode.Network;

/// <summary>A connected peer: who it is, how to call it, and what it last told us.</summary>
public sealed class Peer : IDisposable
{
    private readonly GrpcChannel _channel;

    public Peer(string nodeId, PeerAddress address, bool outbound)
    {
        NodeId = nodeId;
        Address = address;
        Outbound = outbound;
        _channel = GrpcChannel.ForAddress(address.Uri, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = PeerManager.MaxMessageBytes,
            MaxSendMessageSize = PeerManager.MaxMessageBytes,
        });
        Client = new PeerService.PeerServiceClient(_channel);
    }

    public string NodeId { get; }
    public PeerAddress Address { get; }
    public bool Outbound { get; }
    public PeerService.PeerServiceClient Client { get; }
    public ulong ConnectedMs { get; } = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private uint _bestHeight;

    /// <summary>The highest block this peer has told us of (handshake or announcement).</summary>
    public uint BestHeight
    {
        get => Volatile.Read(ref _bestHeight);
        set => Volatile.Write(ref _bestHeight, value);
    }
    private int _consecutiveFailures;

    public void CallSucceeded() => Interlocked.Exchange(ref _consecutiveFailures, 0);

    /// <returns>How many calls in a row have now failed.</returns>
    public int CallFailed() => Interlocked.Increment(ref _consecutiveFailures);

    /// <summary>One catch-up sync with this peer at a time.</summary>
    public SemaphoreSlim SyncGate { get; } = new(1, 1);

    public void Dispose()
    {
        _channel.Dispose();
        SyncGate.Dispose();
    }
}
