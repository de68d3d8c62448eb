using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Network;

/// <summary>
/// Which blocks are being downloaded, and from whom: a block is asked of one peer at a time, and
/// of another only when that one delivered nothing before its deadline. Thread-safe.
/// </summary>
public sealed class BlockDownloads(TimeSpan deadline)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Hash256, (string PeerKey, DateTime Until)> _inFlight = [];

    /// <summary>Claims for <paramref name="peerKey"/> every hash nobody else is fetching; returns the claimed ones.</summary>
    public HashSet<Hash256> Claim(string peerKey, IEnumerable<Hash256> hashes)
    {
        var now = DateTime.UtcNow;
        var claimed = new HashSet<Hash256>();
        lock (_lock)
        {
            foreach (var hash in hashes)
            {
                if (_inFlight.TryGetValue(hash, out var owner) && owner.Until > now)
                {
                    continue; // another peer is already sending it: never fetched twice
                }
                _inFlight[hash] = (peerKey, now + deadline);
                claimed.Add(hash);
            }
        }
        return claimed;
    }

    /// <summary>Done with these (processed, or not delivered): another peer may be asked.</summary>
    public void Release(string peerKey, IEnumerable<Hash256> hashes)
    {
        lock (_lock)
        {
            foreach (var hash in hashes)
            {
                if (_inFlight.TryGetValue(hash, out var owner) && owner.PeerKey == peerKey)
                {
                    _inFlight.Remove(hash);
                }
            }
        }
    }

    public void ForgetExpired(DateTime now)
    {
        lock (_lock)
        {
            foreach (var hash in _inFlight.Where(f => f.Value.Until <= now).Select(f => f.Key).ToList())
            {
                _inFlight.Remove(hash);
            }
        }
    }
}
