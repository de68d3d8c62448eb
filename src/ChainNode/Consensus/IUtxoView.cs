using LedgerContrast.Shared.Chain;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>Where contextual validation looks up the outputs a transaction spends.</summary>
public interface IUtxoView
{
    UtxoEntry? Find(OutPoint outPoint);
}
