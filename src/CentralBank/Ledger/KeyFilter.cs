namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// A Bloom filter of every idempotency key in the indexed collection (keys whose hash another key
/// held, keys moved out of memory past its capacity, and the keys of a bank from before the key
/// log; the rest are found through <see cref="RecentKeys"/>). Almost every transfer brings a new
/// key, and looking a missing key up in LiteDB costs ~50 µs on the writer thread; the filter
/// answers "certainly not there" from memory, so only possible repeats are looked up.
/// <para>
/// One filter only ever fills: at ten million keys nearly every lookup is a false positive and
/// the speed-up fades without a word. So keys go into generations: a new one starts when the
/// current is full or older than the key retention, and a generation is dropped once all of its
/// keys have expired. Memory is bounded by <see cref="MaxGenerations"/>; if even that is not
/// enough, the oldest is dropped and, until its keys would have expired, every key "might" be
/// known — slower, never wrong. There are no false negatives.
/// </para>
/// <para>Used by the writer thread only.</para>
/// </summary>
public sealed class KeyFilter(TimeSpan retention)
{
    public const int MaxGenerations = 4;
    private const int Bits = 1 << 24; // 2 MiB each: (1 - e^(-4n/m))^4 ≈ 1.2 % false positives at n = 1.7 M keys (computed, not measured)
    private const int Capacity = 1_700_000;
    private const int Hashes = 4;

    private readonly List<Generation> _generations = [];
    private readonly long _retentionMs = (long)retention.TotalMilliseconds;
    private long _allKnownUntilMs;

    public int Generations => _generations.Count;

    public void Add(string key, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(key);
        var generation = Current(nowMs);
        var (a, b) = KeyHash.Seeds(key);
        for (var i = 0; i < Hashes; i++)
        {
            var bit = (uint)(a + i * b) % Bits;
            generation.Words[bit / 64] |= 1UL << (int)(bit % 64);
        }
        generation.Count++;
        generation.NewestMs = Math.Max(generation.NewestMs, nowMs);
    }

    public bool MightContain(string key, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (nowMs < _allKnownUntilMs)
        {
            return true;
        }
        var (a, b) = KeyHash.Seeds(key);
        foreach (var generation in _generations)
        {
            if (generation.Contains(a, b))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Drops generations whose every key has passed its retention (and was pruned from the store).</summary>
    public void Rotate(long nowMs)
    {
        if (_generations.Count == 0)
        {
            return;
        }
        var current = _generations[^1];
        _generations.RemoveAll(g => g != current && g.NewestMs < nowMs - _retentionMs);
    }

    private Generation Current(long nowMs)
    {
        if (_generations.Count > 0)
        {
            var newest = _generations[^1];
            if (newest.Count < Capacity && nowMs - newest.StartedMs < _retentionMs)
            {
                return newest;
            }
        }
        Rotate(nowMs);
        if (_generations.Count >= MaxGenerations)
        {
            var dropped = _generations[0];
            _generations.RemoveAt(0);
            _allKnownUntilMs = Math.Max(_allKnownUntilMs, dropped.NewestMs + _retentionMs);
        }
        var generation = new Generation(nowMs);
        _generations.Add(generation);
        return generation;
    }

    private sealed class Generation(long startedMs)
    {
        public ulong[] Words { get; } = new ulong[Bits / 64];
        public long StartedMs { get; } = startedMs;
        public long NewestMs { get; set; } = startedMs;
        public int Count { get; set; }

        public bool Contains(uint a, uint b)
        {
            for (var i = 0; i < Hashes; i++)
            {
                var bit = (uint)(a + i * b) % Bits;
                if ((Words[bit / 64] & (1UL << (int)(bit % 64))) == 0)
                {
                    return false;
                }
            }
            return true;
        }
    }
}
