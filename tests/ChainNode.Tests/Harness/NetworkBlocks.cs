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

    /// <summary>A chain of <paramref name="length"/> blocks mined by another node of <paramref name="node"/>'s network, from genesis.</summary>
    public static async Task<List<Block>> ChainElsewhereAsync(NetworkNode node, int length)
    {
        ArgumentNullException.ThrowIfNull(node);
        using var source = new TestNode(node.Engine.Parameters);
        var chain = new List<Block>(length);
        for (var i = 0; i < length; i++)
        {
            chain.Add(await source.MineAsync(Keys.Alice));
        }
        return chain;
    }

    /// <summary>A coinbase paying <paramref name="owner"/>, mined on <paramref name="node"/> and buried until mature, with every node on that tip.</summary>
    public static async Task<Transaction> FundAsync(TestNetwork network, NetworkNode node, PrivateKey owner)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(node);
        var hashes = await node.MineAsync(1, owner);
        await node.MineAsync(node.Engine.Parameters.CoinbaseMaturity, Keys.Miner);
        await network.WaitForSameTipAsync();
        return node.Engine.FindBlock(hashes[0])!.Transactions[0];
    }

    /// <summary>The whole of <paramref name="funding"/>'s first output, less 1,000 minor units of fee, from <paramref name="owner"/> to <paramref name="to"/>, signed.</summary>
    public static Transaction Pay(NetworkNode node, Transaction funding, PrivateKey owner, PrivateKey to)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(funding);
        var unsigned = new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(new OutPoint(funding.Txid, 0))],
            [new TxOutput(funding.Outputs[0].Amount - Shared.Money.Amount.FromMinorUnits(1_000), to.PublicKey.ToArray())]);
        return TransactionSigner.Sign(unsigned, node.Engine.NetworkId, [owner], [funding.Outputs[0].Amount]);
    }

    /// <summary>Finds a nonce that meets the header's own target (regtest: a few tries).</summary>
    public static Block Mine(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return new Block(Mine(block.Header), block.Transactions);
    }

    /// <summary>The header with the first nonce that meets its own target.</summary>
    public static BlockHeader Mine(BlockHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var target = Target.FromCompact(header.Bits);
        for (ulong nonce = 0; ; nonce++)
        {
            var candidate = header with { Nonce = nonce };
            if (Target.MeetsTarget(candidate.Hash, target))
            {
                return candidate;
            }
        }
    }
}
