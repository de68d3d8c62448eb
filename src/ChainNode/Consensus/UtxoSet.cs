using LedgerContrast.Shared.Chain;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>
/// The unspent outputs of the active chain, in memory (persisted by the chain store), indexed by
/// owner key too, so a wallet's balance costs its own coins, not a scan of everyone's.
/// </summary>
public sealed class UtxoSet : IUtxoView
{
    private readonly Dictionary<OutPoint, UtxoEntry> _entries = [];
    private readonly Dictionary<byte[], HashSet<OutPoint>> _byOwner = new(PublicKeyComparer.Instance);

    public int Count => _entries.Count;

    public UtxoEntry? Find(OutPoint outPoint) => _entries.GetValueOrDefault(outPoint);

    public bool Contains(OutPoint outPoint) => _entries.ContainsKey(outPoint);

    public void Add(OutPoint outPoint, UtxoEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Remove(outPoint);
        _entries[outPoint] = entry;
        if (!_byOwner.TryGetValue(entry.PublicKey, out var owned))
        {
            _byOwner[entry.PublicKey] = owned = [];
        }
        owned.Add(outPoint);
    }

    public bool Remove(OutPoint outPoint)
    {
        if (!_entries.Remove(outPoint, out var entry))
        {
            return false;
        }
        if (_byOwner.TryGetValue(entry.PublicKey, out var owned) && owned.Remove(outPoint) && owned.Count == 0)
        {
            _byOwner.Remove(entry.PublicKey);
        }
        return true;
    }

    public IEnumerable<KeyValuePair<OutPoint, UtxoEntry>> All => _entries;

    /// <summary>The unspent outputs paying <paramref name="publicKey"/>.</summary>
    public IEnumerable<(OutPoint OutPoint, UtxoEntry Entry)> OwnedBy(byte[] publicKey) =>
        _byOwner.TryGetValue(publicKey, out var owned) ? owned.Select(o => (o, _entries[o])) : [];

    private sealed class PublicKeyComparer : IEqualityComparer<byte[]>
    {
        public static readonly PublicKeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}

/// <summary>
/// The UTXO set as seen while validating one block: outputs created earlier in the block can be
/// spent later in it; nothing touches the real set until the whole block is valid.
/// </summary>
internal sealed class BlockUtxoView(IUtxoView baseView) : IUtxoView
{
    public Dictionary<OutPoint, UtxoEntry> Created { get; } = [];
    public List<(OutPoint OutPoint, UtxoEntry Entry)> Spent { get; } = [];
    private readonly HashSet<OutPoint> _spent = [];

    public UtxoEntry? Find(OutPoint outPoint) =>
        _spent.Contains(outPoint) ? null : Created.GetValueOrDefault(outPoint) ?? baseView.Find(outPoint);

    public void Spend(OutPoint outPoint)
    {
        var entry = Find(outPoint) ?? throw new InvalidOperationException($"{outPoint} is not spendable.");
        _spent.Add(outPoint);
        Spent.Add((outPoint, entry));
        Created.Remove(outPoint);
    }

    public void AddOutputs(Transaction tx, uint height)
    {
        for (var i = 0; i < tx.Outputs.Count; i++)
        {
            Created[new OutPoint(tx.Txid, (uint)i)] = UtxoEntry.From(tx.Outputs[i], height, tx.IsCoinbase);
        }
    }
}
