using System.Text;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>
/// The genesis block, derived only from the network parameters: every node of a network builds
/// the same one without exchanging it, and its hash is the network id that transactions sign.
/// Its coinbase pays nothing (one zero-key output is not spendable: the output is never added
/// to the UTXO set), and its proof of work is not checked.
/// </summary>
public static class Genesis
{
    public static Block Create(ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        // The network's name and its consensus-relevant settings go into the coinbase output key,
        // so two networks that differ in any of them never share a genesis.
        var description = $"LedgerContrast genesis|{parameters.Network}|regtest={parameters.Regtest}|interval={parameters.BlockInterval.TotalMilliseconds}|maturity={parameters.CoinbaseMaturity}";
        var commitment = TaggedHash.Compute("LedgerContrast/genesis", Encoding.UTF8.GetBytes(description)).ToArray();
        var coinbase = Transaction.CreateCoinbase(0, [new TxOutput(Amount.Zero, commitment)]);
        var header = new BlockHeader(BlockHeader.CurrentVersion, Hash256.Zero, MerkleTree.ComputeRoot([coinbase.Wtxid]), 1_767_225_600_000, parameters.GenesisBits, 0);
        return new Block(header, [coinbase]);
    }
}
