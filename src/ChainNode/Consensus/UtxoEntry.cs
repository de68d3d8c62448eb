using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>An unspent output, with what the rules need to spend it: owner key, height, coinbase maturity.</summary>
public sealed record UtxoEntry(Amount Amount, byte[] PublicKey, uint Height, bool Coinbase)
{
    public static UtxoEntry From(TxOutput output, uint height, bool coinbase) =>
        new(output.Amount, output.PublicKey.ToArray(), height, coinbase);
}
