using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// Where each retained key of the idempotency log is: a 64-bit hash of the scoped key → its log
/// position (chunk and slot), in memory (≈ 28 bytes a key: a dictionary entry of two 8-byte values, its hash and link, and a bucket — computed, not measured), rebuilt from the log at startup
/// (Bitcask's keydir). So storing a key costs a share of one append per batch, and finding one a
/// single read by position.
/// <para>
/// A hash names at most one live key: a key whose hash is already taken, and keys beyond
/// <see cref="Capacity"/> (oldest first), go to the indexed collection behind the
/// <see cref="KeyFilter"/> instead — slower, never wrong. Changed only after a batch is durable,
/// so it always agrees with the committed log. Used by the writer thread only.
/// </para>
/// </summary>
public sealed class RecentKeys
{
    /// <summary>Two million keys, ≈ 56 MB computed (more while the dictionary grows): under full load a few minutes of transfers; in the lab, every key of a day.</summary>
    public const int DefaultCapacity = 2_000_000;

    /// <summary>Keys per key log document at most: a replay reads one whole chunk.</summary>
    public const int ChunkSize = 128;

    private readonly Dictionary<ulong, long> _positions = [];
    private readonly Func<string, ulong> _hash;

    public RecentKeys(int capacity, Func<string, ulong>? hash = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        _hash = hash ?? KeyHash.Of;
    }

    public int Capacity { get; }

    public int Count => _positions.Count;

    /// <summary>The key log's last chunk, committed.</summary>
    public long LastChunk { get; private set; }

    public static long Position(long chunk, int slot) => (chunk * ChunkSize) + slot;

    public static (long Chunk, int Slot) Locate(long position) => (position / ChunkSize, (int)(position % ChunkSize));

    public ulong Hash(string key) => _hash(key);

    public bool TryFind(ulong hash, out long position) => _positions.TryGetValue(hash, out position);

    /// <summary>True when <paramref name="position"/> is where the live key of <paramref name="hash"/> is (not a superseded or moved record).</summary>
    public bool IsLive(ulong hash, long position) => _positions.TryGetValue(hash, out var live) && live == position;

    /// <summary>At startup, in log order: a later record of a hash supersedes an earlier one.</summary>
    internal void Load(ulong hash, long position) => _positions[hash] = position;

    internal void NoteChunk(long chunk) => LastChunk = Math.Max(LastChunk, chunk);

    /// <summary>A durable batch's changes: records moved or pruned first, then those it appended.</summary>
    internal void Apply(KeyLogChanges changes)
    {
        foreach (var (hash, position) in changes.Removed)
        {
            if (IsLive(hash, position))
            {
                _positions.Remove(hash);
            }
        }
        foreach (var (hash, position) in changes.Added)
        {
            _positions[hash] = position;
        }
        LastChunk = Math.Max(LastChunk, changes.LastChunk);
    }
}

/// <summary>What one transaction did to the key log, applied to <see cref="RecentKeys"/> once it is durable.</summary>
internal sealed class KeyLogChanges(long lastChunk)
{
    /// <summary>The last chunk committed before this transaction: this one's chunks come after it.</summary>
    public long CommittedChunk { get; } = lastChunk;

    public long LastChunk { get; set; } = lastChunk;
    public List<IdempotencyDoc> Appended { get; } = [];
    public Dictionary<ulong, long> Added { get; } = [];
    public List<(ulong Hash, long Position)> Removed { get; } = [];
}
