using System.Collections.Concurrent;

namespace LedgerContrast.ChainNode.Network;

/// <summary>Node ids and addresses refused until a time; expired entries are forgotten, so the list never only grows.</summary>
public sealed class BanList
{
    private readonly ConcurrentDictionary<string, DateTime> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<PeerAddress, DateTime> _addresses = new();

    public int Count => _nodes.Count + _addresses.Count;

    public bool Contains(string nodeId) => _nodes.TryGetValue(nodeId, out var until) && until > DateTime.UtcNow;

    public bool Contains(PeerAddress address) => _addresses.TryGetValue(address, out var until) && until > DateTime.UtcNow;

    public void Ban(string nodeId, PeerAddress address, DateTime until)
    {
        _nodes[nodeId] = until;
        _addresses[address] = until;
    }

    /// <summary>The admin adding an address back lifts its ban.</summary>
    public void Lift(PeerAddress address) => _addresses.TryRemove(address, out _);

    public void ForgetExpired(DateTime now)
    {
        foreach (var (node, until) in _nodes)
        {
            if (until <= now)
            {
                _nodes.TryRemove(node, out _);
            }
        }
        foreach (var (address, until) in _addresses)
        {
            if (until <= now)
            {
                _addresses.TryRemove(address, out _);
            }
        }
    }
}
