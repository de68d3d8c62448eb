using System.Collections.Concurrent;

namespace LedgerContrast.ChainNode.Network;

/// <summary>Node ids and addresses refused until a time; expired entries are forgotten, so the list never only grows.</summary>
public sealed class BanList
{
    private readonly ConcurrentDictionary<string, (DateTime Until, string Why)> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<PeerAddress, (DateTime Until, string Why)> _addresses = new();

    public bool Contains(string nodeId) => _nodes.TryGetValue(nodeId, out var ban) && ban.Until > DateTime.UtcNow;

    public bool Contains(PeerAddress address) => _addresses.TryGetValue(address, out var ban) && ban.Until > DateTime.UtcNow;

    /// <summary>Why this node id or address is banned (told to it when it comes back), or null.</summary>
    public string? Why(string nodeId, PeerAddress? address) =>
        _nodes.TryGetValue(nodeId, out var byId) && byId.Until > DateTime.UtcNow ? byId.Why
        : address is not null && _addresses.TryGetValue(address, out var byAddress) && byAddress.Until > DateTime.UtcNow ? byAddress.Why
        : null;

    public void Ban(string nodeId, PeerAddress address, DateTime until, string why)
    {
        _nodes[nodeId] = (until, why);
        _addresses[address] = (until, why);
    }

    /// <summary>The admin adding an address back lifts its ban.</summary>
    public void Lift(PeerAddress address) => _addresses.TryRemove(address, out _);

    public void ForgetExpired(DateTime now)
    {
        foreach (var (node, ban) in _nodes)
        {
            if (ban.Until <= now)
            {
                _nodes.TryRemove(node, out _);
            }
        }
        foreach (var (address, ban) in _addresses)
        {
            if (ban.Until <= now)
            {
                _addresses.TryRemove(address, out _);
            }
        }
    }
}
