using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Money;
using LedgerContrast.TestSupport;
using OutPoint = LedgerContrast.Shared.Chain.OutPoint;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxInput = LedgerContrast.Shared.Chain.TxInput;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.ChainNode.Tests.EndToEnd;

/// <summary>A real node process taking full blocks whose payments it is being relayed at the same time, as on a busy network.</summary>
public sealed class BlockConnectUnderLoadTests : IDisposable
{
    private const int Spenders = 20;
    private const int Rounds = 30;
    private static readonly Amount Fee = Amount.FromMinorUnits(10_000);
    private readonly string _root = TempDirectory.NewPath("lc-chain-load-");

    /// <summary>
    /// Each block is connected under the node's state lock while peers' transactions wait for that
    /// lock on thread-pool threads; its signatures were checked on the pool too, behind them, and
    /// the node stood still for about 30 s (no answer to anyone, its peers dropped it) until the
    /// pool had grown past them. Checked on threads of their own, each block is done in milliseconds.
    /// </summary>
    [Fact]
    public async Task A_node_taking_blocks_whose_payments_are_being_relayed_to_it_keeps_answering_and_keeps_up()
    {
        await using var network = new TestNetwork();
        var miner = await network.StartNodeAsync([]);
        // --link-latency as the lab's nodes run it: every peer call hops through a timer first, and
        // the relayed transactions then reach the lock together.
        using var node = await ServerProcess.StartAsync("chain.dll",
            ["node", "--data", Path.Combine(_root, "node"), "--port", "0", "--regtest", "--coinbase-maturity", "2", "--link-latency", "0ms", "--peer", miner.Address]);
        var api = new NodeService.NodeServiceClient(GrpcChannel.ForAddress(node.Url));
        await network.WaitForPeersAsync(_ => 1);

        var networkId = miner.Engine.NetworkId;
        using var funder = PrivateKey.Generate();
        var spenders = Enumerable.Range(0, Spenders).Select(_ => PrivateKey.Generate()).ToList();
        try
        {
            await miner.MineAsync(1, funder);
            await miner.MineAsync(2, Keys.Miner);
            var funding = miner.Engine.Read(n => n.Chain.LoadBlock(n.Chain.ActiveChain[1].Hash))!.Transactions[0];
            var each = Amount.FromMinorUnits((funding.Outputs[0].Amount.MinorUnits - Fee.MinorUnits) / Spenders);
            var fanOut = TransactionSigner.Sign(
                new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(new OutPoint(funding.Txid, 0))], [.. spenders.Select(s => new TxOutput(each, s.PublicKey.ToArray()))]),
                networkId, [funder], [funding.Outputs[0].Amount]);
            miner.Engine.SubmitTransaction(fanOut);
            await miner.MineAsync(1, Keys.Miner);
            var coins = spenders.Select((_, j) => (OutPoint: new OutPoint(fanOut.Txid, (uint)j), Value: each)).ToArray();

            var slowest = TimeSpan.Zero;
            for (var round = 0; round < Rounds; round++)
            {
                for (var j = 0; j < Spenders; j++)
                {
                    var change = coins[j].Value - Amount.FromMinorUnits(1_000) - Fee;
                    var payment = TransactionSigner.Sign(new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(coins[j].OutPoint)],
                        [new TxOutput(Amount.FromMinorUnits(1_000), Keys.Bob.PublicKey.ToArray()), new TxOutput(change, spenders[j].PublicKey.ToArray())]), networkId, [spenders[j]], [coins[j].Value]);
                    miner.Engine.SubmitTransaction(payment);
                    coins[j] = (new OutPoint(payment.Txid, 1), change);
                }
                await miner.MineAsync(1, Keys.Miner);
                var asked = Stopwatch.StartNew();
                try
                {
                    await api.GetInfoAsync(new GetInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
                {
                    Assert.Fail($"After block {round + 1} of {Rounds}, the node did not answer GetInfo within 5 s: it stood still connecting a block ({Describe(node)}).");
                }
                slowest = asked.Elapsed > slowest ? asked.Elapsed : slowest;
            }
            var tip = miner.Tip;
            await Poll.UntilAsync(async () =>
            {
                try
                {
                    return (await api.GetInfoAsync(new GetInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5))).TipHash.Span.SequenceEqual(tip.Hash.ToArray());
                }
                catch (RpcException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(20), () => $"the node at height {NodeProbe.Height(api)}, the miner at {tip.Height}; slowest answer {slowest.TotalMilliseconds:F0} ms ({Describe(node)})");
        }
        finally
        {
            foreach (var key in spenders)
            {
                key.Dispose();
            }
        }
    }

    private static string Describe(ServerProcess node) => string.Join(" | ", node.Lines.Where(l => l.Contains("Disconnected", StringComparison.Ordinal)).TakeLast(3));

    public void Dispose() => TempDirectory.Delete(_root);
}
