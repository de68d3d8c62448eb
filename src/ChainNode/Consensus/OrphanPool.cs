using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Collections;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>
/// Blocks whose parent has not arrived yet, bounded by count and by bytes: anyone can send
/// orphans for free, so the pool holds at most <see cref="MaxBytes"/> of them and forgets the
/// oldest first. The by-parent index is pruned with every eviction, so it never outgrows the pool.
/// </summary>
public sealed class OrphanPool
{
    public const int MaxCount = 1_000;
    public const long MaxBytes = 8L * 1024 * 1024;

    private readonly BoundedLru<Hash256, Block> _blocks;
    private readonly Dictionary<Hash256, HashSet<Hash256>> _byParent = [];

    public OrphanPool(int maxCount = MaxCount, long maxBytes = MaxBytes)
    {
        _blocks = new BoundedLru<Hash256, Block>(maxCount, maxBytes, block => block.Size);
        _blocks.Evicted += (hash, block) => Unlink(hash, block);
    }

    public int Count => _blocks.Count;
    public long Bytes => _blocks.Weight;

    /// <summary>Parents the pool is waiting for (for tests: the index must not outlive its orphans).</summary>
    public int ParentsWaitedFor => _byParent.Count;

    public bool Contains(Hash256 hash) => _blocks.ContainsKey(hash);

    public void Add(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (block.Size > MaxBytes)
        {
            return;
        }
        _blocks.Set(block.Hash, block);
        if (!_byParent.TryGetValue(block.Header.PreviousHash, out var siblings))
        {
            _byParent[block.Header.PreviousHash] = siblings = [];
        }
        siblings.Add(block.Hash);
    }

    /// <summary>Takes every orphan waiting for <paramref name="parent"/> out of the pool.</summary>
    public List<Block> TakeChildren(Hash256 parent)
    {
        if (!_byParent.Remove(parent, out var children))
        {
            return [];
        }
        var taken = new List<Block>(children.Count);
        foreach (var hash in children)
        {
            if (_blocks.TryPeek(hash, out var child))
            {
                _blocks.Remove(hash);
                taken.Add(child);
            }
        }
        return taken;
    }

    private void Unlink(Hash256 hash, Block block)
    {
        if (_byParent.TryGetValue(block.Header.PreviousHash, out var siblings) && siblings.Remove(hash) && siblings.Count == 0)
        {
            _byParent.Remove(block.Header.PreviousHash);
        }
    }
}
