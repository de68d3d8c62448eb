using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Tests.Harness;

/// <summary>
/// Builds a block the way a test means it (Nethermind's <c>Build.A.Block.WithParent(x)</c>): valid by
/// default, with one thing changed per call, so each rule test breaks exactly one rule.
/// </summary>
public sealed class BlockBuilder(TestNode node, BlockIndexEntry parent)
{
    private readonly List<Transaction> _transactions = [];
    private Hash256? _parentHash;
    private PrivateKey? _miner;
    private Amount? _coinbaseAmount;
    private uint? _coinbaseHeight;
    private ulong? _time;
    private uint? _bits;
    private Hash256? _merkleRoot;
    private Transaction? _coinbase;
    private bool _noCoinbase;
    private bool _failProofOfWork;

    public BlockBuilder PayingTo(PrivateKey miner)
    {
        _miner = miner;
        return this;
    }

    public BlockBuilder With(params Transaction[] transactions)
    {
        _transactions.AddRange(transactions);
        return this;
    }

    public BlockBuilder WithCoinbaseAmount(Amount amount)
    {
        _coinbaseAmount = amount;
        return this;
    }

    public BlockBuilder WithCoinbaseHeight(uint height)
    {
        _coinbaseHeight = height;
        return this;
    }

    public BlockBuilder WithCoinbase(Transaction coinbase)
    {
        _coinbase = coinbase;
        return this;
    }

    public BlockBuilder WithoutCoinbase()
    {
        _noCoinbase = true;
        return this;
    }

    public BlockBuilder WithTime(ulong timeMs)
    {
        _time = timeMs;
        return this;
    }

    public BlockBuilder WithBits(uint bits)
    {
        _bits = bits;
        return this;
    }

    public BlockBuilder WithMerkleRoot(Hash256 root)
    {
        _merkleRoot = root;
        return this;
    }

    /// <summary>Picks a nonce whose hash is above the target.</summary>
    /// <summary>Names a parent the node does not have (an orphan), keeping the tip's height and target.</summary>
    public BlockBuilder WithParentHash(Hash256 parentHash)
    {
        _parentHash = parentHash;
        return this;
    }

    public BlockBuilder WithInsufficientWork()
    {
        _failProofOfWork = true;
        return this;
    }

    public Block Build()
    {
        var height = parent.Height + 1;
        var fees = Amount.Zero; // the test decides the coinbase amount when fees matter
        var minerKey = (_miner ?? Keys.Miner).PublicKey.ToArray();
        var coinbase = _coinbase ?? Transaction.CreateCoinbase(_coinbaseHeight ?? height, [new TxOutput(_coinbaseAmount ?? node.Parameters.BlockReward + fees, minerKey)]);
        List<Transaction> txs = _noCoinbase ? [.. _transactions] : [coinbase, .. _transactions];
        var time = _time ?? Math.Max(node.Now, parent.Header.TimeMs + 1);
        var bits = _bits ?? node.Engine.Read(n => n.Chain.NextBits(parent));
        var root = _merkleRoot ?? MerkleTree.ComputeRoot(txs.Select(t => t.Wtxid).ToList());
        var header = new BlockHeader(BlockHeader.CurrentVersion, _parentHash ?? parent.Hash, root, time, bits, 0);
        var target = Target.FromCompact(bits);
        for (ulong nonce = 0; ; nonce++)
        {
            var candidate = header with { Nonce = nonce };
            if (Target.MeetsTarget(candidate.Hash, target) != _failProofOfWork)
            {
                return new Block(candidate, txs);
            }
        }
    }

    public Task<BlockOutcome> SubmitAsync() => node.Engine.SubmitBlockAsync(Build());
}

/// <summary>Fixed keys, so failures print the same addresses every run.</summary>
public static class Keys
{
    public static PrivateKey Miner { get; } = PrivateKey.FromBytes(Convert.FromHexString("1111111111111111111111111111111111111111111111111111111111111111"));
    public static PrivateKey Alice { get; } = PrivateKey.FromBytes(Convert.FromHexString("a11ce00000000000000000000000000000000000000000000000000000000001"));
    public static PrivateKey Bob { get; } = PrivateKey.FromBytes(Convert.FromHexString("b0b0000000000000000000000000000000000000000000000000000000000001"));
    public static PrivateKey Carol { get; } = PrivateKey.FromBytes(Convert.FromHexString("ca201000000000000000000000000000000000000000000000000000000000001"[..64]));
}

