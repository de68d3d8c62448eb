namespace LedgerContrast.Shared.Collections;

/// <summary>
/// A map that forgets its least recently used entries beyond a count and, optionally, a total
/// weight (bytes). Every "seen" or "remembered" cache fed by other people's data uses it, so
/// none can grow without bound and none forgets everything at once when full. Not thread-safe.
/// </summary>
public sealed class BoundedLru<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value, long Weight)>> _map;
    private readonly LinkedList<(TKey Key, TValue Value, long Weight)> _order = new();
    private readonly Func<TValue, long> _weigh;

    public BoundedLru(int maxCount, long maxWeight = long.MaxValue, Func<TValue, long>? weigh = null, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        MaxCount = maxCount;
        MaxWeight = maxWeight;
        _weigh = weigh ?? (_ => 0);
        _map = new Dictionary<TKey, LinkedListNode<(TKey, TValue, long)>>(comparer);
    }

    public int MaxCount { get; }
    public long MaxWeight { get; }
    public int Count => _map.Count;
    public long Weight { get; private set; }

    /// <summary>Called with each entry pushed out to make room (not with entries removed on purpose).</summary>
    public event Action<TKey, TValue>? Evicted;

    public bool ContainsKey(TKey key) => _map.ContainsKey(key);

    /// <summary>Looks up without refreshing the entry's place.</summary>
    public bool TryPeek(TKey key, out TValue value)
    {
        if (_map.TryGetValue(key, out var node))
        {
            value = node.Value.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Looks up and marks the entry as recently used.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        if (_map.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddLast(node);
            value = node.Value.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Adds or replaces; then evicts the least recently used until within both bounds (never the entry just added).</summary>
    public void Set(TKey key, TValue value)
    {
        Remove(key);
        var weight = _weigh(value);
        _map[key] = _order.AddLast((key, value, weight));
        Weight += weight;
        while ((_map.Count > MaxCount || Weight > MaxWeight) && _order.First is { } oldest && oldest != _order.Last)
        {
            Remove(oldest.Value.Key);
            Evicted?.Invoke(oldest.Value.Key, oldest.Value.Value);
        }
    }

    public bool Remove(TKey key)
    {
        if (!_map.Remove(key, out var node))
        {
            return false;
        }
        _order.Remove(node);
        Weight -= node.Value.Weight;
        return true;
    }

    public IEnumerable<(TKey Key, TValue Value)> Entries => _order.Select(e => (e.Key, e.Value));
}
