using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Light;

/// <summary>A coin of the light wallet's, found in a block it checked against its own header chain.</summary>
public sealed record LightCoin(OutPoint OutPoint, Amount Amount, uint Height, Hash256 Block, bool Coinbase);

/// <summary>What a light wallet owns, from the blocks its filters matched: each output to one of its keys, less those a later block spends.</summary>
public static class LightCoins
{
    public static List<LightCoin> From(IEnumerable<VerifiedBlock> blocks, IReadOnlyList<byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(keys);
        var coins = new Dictionary<OutPoint, LightCoin>();
        foreach (var (header, block) in blocks.OrderBy(b => b.Header.Height))
        {
            foreach (var tx in block.Transactions)
            {
                if (!tx.IsCoinbase)
                {
                    foreach (var input in tx.Inputs)
                    {
                        coins.Remove(input.PreviousOutput);
                    }
                }
                for (var i = 0; i < tx.Outputs.Count; i++)
                {
                    var key = tx.Outputs[i].PublicKey;
                    if (keys.Any(k => key.Span.SequenceEqual(k)))
                    {
                        var outPoint = new OutPoint(tx.Txid, (uint)i);
                        coins[outPoint] = new LightCoin(outPoint, tx.Outputs[i].Amount, header.Height, header.Hash, tx.IsCoinbase);
                    }
                }
            }
        }
        return [.. coins.Values.OrderBy(c => c.Height)];
    }
}
