using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;

namespace LedgerContrast.ChainNode.Tests.Harness;

/// <summary>Blocks for a running node, built as a miner elsewhere would: on its tip, from its own template.</summary>
public static class NetworkBlocks
{
    /// <summary>A block on <paramref name="node"/>'s tip with valid proof of work and the given transactions.</summary>
    public static Block On(NetworkNode node, ulong? timeMs = null, PrivateKey? payTo = null, Transaction[]? transactions = null, Shared.Money.Amount? coinbaseAmount = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        var template = node.Engine.CreateTemplate((payTo ?? Keys.Carol).PublicKey.ToArray());
        var coinbase = coinbaseAmount is { } amount
            ? Transaction.CreateCoinbase(template.Height, [new TxOutput(amount, (payTo ?? Keys.Carol).PublicKey.ToArray())])
            : template.Transactions[0];
        List<Transaction> txs = [coinbase, .. transactions ?? []];
        var header = template.Header with { MerkleRoot = MerkleTree.ComputeRoot([.. txs.Select(t => t.Wtxid)]), TimeMs = timeMs ?? template.Header.TimeMs };
        return Mine(new Block(header, txs));
    }

    /// <summary>
    /// Structurally valid transactions of ~60 kB each (1,500 outputs) spending outputs nobody has:
    /// bulk for blocks that must be big, and invalid only once connected.
    /// </summary>
    public static List<Transaction> Filler(int count) => [.. Enumerable.Range(0, count).Select(i => new Transaction(Transaction.CurrentVersion,
        [TxInput.WithoutSignature(new OutPoint(Shared.Hashing.Hash256.Parse((i + 1).ToString("x64")), 0))],
        [.. Enumerable.Range(0, 1_500).Select(_ => new TxOutput(Shared.Money.Amount.FromUnits(1), Keys.Carol.PublicKey.ToArray()))]))];

    /// <summary>Finds a nonce that meets the header's own target (regtest: a few tries).</summary>
    public static Block Mine(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var target = Target.FromCompact(block.Header.Bits);
        for (ulong nonce = 0; ; nonce++)
        {
            var candidate = block.Header with { Nonce = nonce };
            if (Target.MeetsTarget(candidate.Hash, target))
            {
                return new Block(candidate, block.Transactions);
            }
        }
    }
}
