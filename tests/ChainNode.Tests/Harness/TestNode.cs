using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Storage;
using LedgerContrast.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace LedgerContrast.ChainNode.Tests.Harness;

/// <summary>
/// One node engine on its own temp data directory with a clock the test moves, so scenarios
/// read like what happens: <c>var b1 = await node.MineAsync(alice);</c>.
/// </summary>
public sealed class TestNode : IDisposable
{
    private bool _ownsDirectory;
    private bool _disposed;

    public TestNode(ChainParameters? parameters = null, string? dataDirectory = null, long mempoolBytes = 5_000_000, IStorageFaultInjector? storageFaults = null, int blockMaxSize = int.MaxValue)
    {
        Parameters = parameters ?? ChainParameters.ForRegtest(coinbaseMaturity: 2);
        DataDirectory = dataDirectory ?? TempDirectory.NewPath("lc-chain-test-");
        _ownsDirectory = dataDirectory is null;
        Engine = new NodeEngine(Parameters, DataDirectory, NullLogger.Instance, () => Now, mempoolBytes, storageFaults: storageFaults) { BlockMaxSize = blockMaxSize };
    }

    /// <summary>The same node after a restart: a new engine on this one's data directory (this one is disposed, its directory kept).</summary>
    /// <param name="whileStopped">Done to the data directory between the stop and the start.</param>
    public TestNode Restart(IStorageFaultInjector? storageFaults = null, Action<string>? whileStopped = null)
    {
        Dispose(deleteDirectory: false);
        whileStopped?.Invoke(DataDirectory);
        var restarted = new TestNode(Parameters, DataDirectory, storageFaults: storageFaults) { Now = Now, _ownsDirectory = _ownsDirectory };
        _ownsDirectory = false;
        return restarted;
    }

    public ChainParameters Parameters { get; }
    public string DataDirectory { get; }
    public NodeEngine Engine { get; }
    public ulong Now { get; set; } = 1_767_225_600_000 + 3_600_000;
    public Hash256 NetworkId => Engine.NetworkId;
    public BlockIndexEntry Tip => Engine.Read(n => n.Chain.Tip);

    /// <summary>Starts a builder for a block on the current tip (or another parent), mined at regtest difficulty.</summary>
    public BlockBuilder NewBlock(BlockIndexEntry? parent = null)
    {
        Now += 1_000;
        return new BlockBuilder(this, parent ?? Tip);
    }

    public async Task<Block> MineAsync(PrivateKey miner, params Transaction[] transactions)
    {
        var block = NewBlock().PayingTo(miner).With(transactions).Build();
        await Engine.SubmitBlockAsync(block);
        return block;
    }

    /// <summary>Mines <paramref name="count"/> blocks to <paramref name="miner"/> and returns the coinbases, oldest first.</summary>
    public async Task<List<Transaction>> MineManyAsync(int count, PrivateKey miner)
    {
        var coinbases = new List<Transaction>();
        for (var i = 0; i < count; i++)
        {
            coinbases.Add((await MineAsync(miner)).Transactions[0]);
        }
        return coinbases;
    }

    /// <summary>A signed transaction spending whole outputs (each with the key that owns it and the amount it holds) to the given payees.</summary>
    public Transaction Spend(IReadOnlyList<(OutPoint OutPoint, PrivateKey Owner, long Amount)> inputs, params (PrivateKey To, long Amount)[] outputs)
    {
        var unsigned = new Transaction(Transaction.CurrentVersion,
            [.. inputs.Select(i => TxInput.WithoutSignature(i.OutPoint))],
            [.. outputs.Select(o => new TxOutput(Shared.Money.Amount.FromMinorUnits(o.Amount), o.To.PublicKey.ToArray()))]);
        return TransactionSigner.Sign(unsigned, NetworkId, [.. inputs.Select(i => i.Owner)], [.. inputs.Select(i => Shared.Money.Amount.FromMinorUnits(i.Amount))]);
    }

    public Transaction Spend(Transaction funding, uint index, PrivateKey owner, params (PrivateKey To, long Amount)[] outputs) =>
        Spend([(new OutPoint(funding.Txid, index), owner, funding.Outputs[(int)index].Amount.MinorUnits)], outputs);

    public TransactionStatus StatusOf(Transaction tx) => Engine.StatusOf(tx.Txid);

    public void Dispose() => Dispose(deleteDirectory: _ownsDirectory);

    private void Dispose(bool deleteDirectory)
    {
        if (!_disposed)
        {
            _disposed = true;
            Engine.Dispose();
        }
        if (deleteDirectory)
        {
            TempDirectory.Delete(DataDirectory);
        }
    }
}
