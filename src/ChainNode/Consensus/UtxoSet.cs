using LedgerContrast.Shared.Chain;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>The unspent outputs of the active chain, in memory (persisted by the chain store).</summary>
public sealed class UtxoSet : IUtxoView
{
    private readonly Dictionary<OutPoint, UtxoEntry> _entries = [];

    public int Count => _entries.Count;

    public UtxoEntry? Find(OutPoint outPoint) => _entries.GetValueOrDefault(outPoint);

    public void Add(OutPoint outPoint, UtxoEntry entry) => _entries[outPoint] = entry;

    public bool Remove(OutPoint outPoint) => _entries.Remove(outPoint);

    public IEnumerable<KeyValuePair<OutPoint, UtxoEntry>> All => _entries;
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
