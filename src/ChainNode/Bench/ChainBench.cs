using System.Diagnostics;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Mining;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using Microsoft.Extensions.Logging.Abstractions;

namespace LedgerContrast.ChainNode.Bench;

/// <summary>
/// `chain bench`: the consensus core's speed, each figure next to the raw library loop measured
/// in the same run (this machine is shared and noisy, so only ratios mean anything).
/// </summary>
public static class ChainBench
{
    public const int BlockTransactions = 1_000;
    private static readonly Amount PaymentFee = Amount.FromMinorUnits(1_000);

    public sealed record Figure(string Name, double Value, string Unit, double Baseline, string BaselineName)
    {
        public double Ratio => Baseline == 0 ? 0 : Value / Baseline;
    }

    public static async Task<IReadOnlyList<Figure>> RunAsync(int transactions, TimeSpan hashDuration)
    {
        var figures = new List<Figure>();
        var directory = Path.Combine(Path.GetTempPath(), "lc-chain-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var parameters = ChainParameters.ForRegtest("lc-bench", coinbaseMaturity: 1);
            using var node = new NodeEngine(parameters, directory, NullLogger.Instance);
            using var owner = PrivateKey.Generate();
            using var miner = new Miner(node, NullLogger.Instance);
            var payments = await FundIndependentPaymentsAsync(node, miner, owner, transactions + 2 * BlockTransactions).ConfigureAwait(false);

            // 1. Mempool acceptance of independent signed transactions, two submitting threads.
            var forPool = payments.Take(transactions).ToList();
            var baseline = SignatureVerifyRate(forPool, node.NetworkId, owner.PublicKey, threads: 2);
            var stopwatch = Stopwatch.StartNew();
            Parallel.ForEach(forPool, new ParallelOptions { MaxDegreeOfParallelism = 2 }, tx => node.SubmitTransaction(tx));
            figures.Add(new Figure("mempool acceptance (2 threads)", forPool.Count / stopwatch.Elapsed.TotalSeconds, "tx/s", baseline, "SigVerifyBIP340, 2 threads"));

            // 2. Connecting a block of other independent payments, after one such block not
            // counted: a node's first big block runs storage code the runtime has not optimised
            // yet (tiered compilation), which a node that has been up for a while no longer pays.
            var warmUp = PaymentBlock(node, parameters, owner, payments.Skip(transactions).Take(BlockTransactions).ToList());
            await node.SubmitBlockAsync(warmUp).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
            var forBlock = payments.Skip(transactions + BlockTransactions).Take(BlockTransactions).ToList();
            var block = PaymentBlock(node, parameters, owner, forBlock);
            stopwatch.Restart();
            await node.SubmitBlockAsync(block).ConfigureAwait(false);
            var connectSeconds = stopwatch.Elapsed.TotalSeconds;
            figures.Add(new Figure($"connect a {forBlock.Count}-tx block", forBlock.Count / connectSeconds, "tx/s", baseline, "SigVerifyBIP340, 2 threads"));

            // 3. Hash rate of one miner thread against a bare reused-hasher loop.
            var bare = NonceSearch.BareLoopRate(hashDuration);
            var hard = node.CreateTemplate(owner.PublicKey.ToArray()).Header with { Bits = Target.ToCompact(System.Numerics.BigInteger.One << 8) };
            long minerHashes = 0;
            stopwatch.Restart();
            NonceSearch.Search(hard, 0, 1, () => stopwatch.Elapsed > hashDuration, ref minerHashes);
            figures.Add(new Figure("miner hash rate (1 thread)", minerHashes / stopwatch.Elapsed.TotalSeconds, "hash/s", bare, "bare double-SHA-256 loop, 1 thread"));
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        return figures;
    }

    /// <summary>A block on the node's tip holding exactly <paramref name="payments"/>, mined (regtest: a few hashes).</summary>
    private static Block PaymentBlock(NodeEngine node, ChainParameters parameters, PrivateKey owner, List<Transaction> payments)
    {
        var template = node.CreateTemplate(owner.PublicKey.ToArray());
        var coinbase = Transaction.CreateCoinbase(template.Height, [new TxOutput(parameters.BlockReward + Amount.FromMinorUnits(100L * payments.Count), owner.PublicKey.ToArray())]);
        List<Transaction> txs = [coinbase, .. payments];
        var header = template.Header with { MerkleRoot = MerkleTree.ComputeRoot(txs.Select(t => t.Wtxid).ToList()) };
        long hashes = 0;
        var nonce = NonceSearch.Search(header, 0, 1, () => false, ref hashes)!.Value;
        return new Block(header with { Nonce = nonce }, txs);
    }

    /// <summary>Mines coins, then fans them out into <paramref name="count"/> single-input payments that don't depend on each other.</summary>
    private static async Task<List<Transaction>> FundIndependentPaymentsAsync(NodeEngine node, Miner miner, PrivateKey owner, int count)
    {
        const int perFanOut = 2_000;
        var fanOuts = (count + perFanOut - 1) / perFanOut;
        var mined = await miner.GenerateAsync(fanOuts + 1, owner.PublicKey.ToArray(), 1, CancellationToken.None).ConfigureAwait(false);
        var coins = new List<OutPoint>();
        for (var f = 0; f < fanOuts; f++)
        {
            var coinbase = node.Read(n => n.Chain.LoadBlock(mined[f])!.Transactions[0]);
            var outputs = Enumerable.Range(0, perFanOut).Select(_ => new TxOutput(Amount.FromMinorUnits(coinbase.TotalOutput().MinorUnits / perFanOut - 50), owner.PublicKey.ToArray())).ToList();
            var fanOut = TransactionSigner.Sign(new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(new OutPoint(coinbase.Txid, 0))], outputs), node.NetworkId, [owner], [coinbase.Outputs[0].Amount]);
            node.SubmitTransaction(fanOut);
            coins.AddRange(Enumerable.Range(0, perFanOut).Select(i => new OutPoint(fanOut.Txid, (uint)i)));
        }
        await miner.GenerateAsync(1, owner.PublicKey.ToArray(), 1, CancellationToken.None).ConfigureAwait(false);
        return coins.Take(count).AsParallel().AsOrdered().Select(coin =>
        {
            var value = node.Read(n => n.Chain.Utxos.Find(coin)!.Amount);
            var unsigned = new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(coin)], [new TxOutput(value - PaymentFee, owner.PublicKey.ToArray())]);
            return TransactionSigner.Sign(unsigned, node.NetworkId, [owner], [value]);
        }).ToList();
    }

    /// <summary>The raw library: BIP-340 verification of exactly these signatures on N threads.</summary>
    private static double SignatureVerifyRate(List<Transaction> txs, Hash256 networkId, PublicKey key, int threads)
    {
        // Each payment spends one coin and pays it on less the fee.
        var work = txs.Select(tx => (
            Message: TransactionSigner.SignatureMessage(tx, networkId, [new TxOutput(tx.TotalOutput() + PaymentFee, key.ToArray())]).ToArray(),
            Signature: SchnorrSignature.FromBytes(tx.Inputs[0].Signature.Span))).ToList();
        var stopwatch = Stopwatch.StartNew();
        Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = threads }, item =>
        {
            if (!key.Verify(item.Message, item.Signature))
            {
                throw new InvalidOperationException("A benchmark signature does not verify.");
            }
        });
        return work.Count / stopwatch.Elapsed.TotalSeconds;
    }
}
