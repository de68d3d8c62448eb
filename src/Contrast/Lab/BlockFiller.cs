using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using BlockHeader = LedgerContrast.Shared.Chain.BlockHeader;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using LedgerContrast.Shared.Crypto;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// Full blocks for a lab chain: a backlog of payments already in every node's mempool, as on a
/// busy network, so that each block a miner finds holds as much of it as its --block-max-size
/// allows. The payments are fan-outs of coins of one funding key (each under the 100,000-byte
/// transaction limit), sent to every node directly so that they do not cross the links between
/// the nodes again while blocks are being measured.
/// </summary>
public static class BlockFiller
{
    /// <summary>Header, transaction count and coinbase: what a block holds besides its payments.</summary>
    public const int BlockOverhead = BlockHeader.EncodedSize + 4 + 12 + TxOutput.EncodedSize + 100;

    /// <summary>The smallest block size worth filling: the funding fan-out itself must fit in one block.</summary>
    public const int MinimumBlockBytes = 20_000;

    private const int MaxPaymentBytes = 99_000;

    /// <summary>
    /// Funds a key on <paramref name="chain"/> (a block, and enough after it to mature), and puts
    /// payments for <paramref name="blocks"/> blocks of <paramref name="blockBytes"/> (with a
    /// margin for blocks that go stale) into every node's mempool. Returns how many it sent.
    /// </summary>
    public static async Task<int> PreloadAsync(PrivateChain chain, int blockBytes, int blocks, Progress progress)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(progress);
        if (blockBytes < MinimumBlockBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(blockBytes), $"Blocks of fewer than {MinimumBlockBytes} bytes are not filled.");
        }
        var node = chain.Nodes[0];
        var info = await ChainLab.InfoAsync(node).ConfigureAwait(false);
        var networkId = ChainLab.NetworkId(info);
        using var funder = PrivateKey.Generate();
        await node.Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 1, Address = await ChainLab.AddressAsync(node, funder).ConfigureAwait(false) }, deadline: LabNode.Deadline(60));
        await node.Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 10, Address = chain.MinerAddresses[0] }, deadline: LabNode.Deadline(60)); // regtest's coinbase maturity
        var coinbase = await ChainLab.WaitForCoinAsync(progress, node, funder).ConfigureAwait(false);

        var perBlock = (int)Math.Ceiling((blockBytes - BlockOverhead) / (double)MaxPaymentBytes);
        var outputs = ((blockBytes - BlockOverhead) / perBlock - Transaction.SizeOf(1, 0)) / TxOutput.EncodedSize;
        var count = (int)Math.Ceiling(blocks * 1.3) * perBlock;
        await ChainLab.SubmitAsync(node, ChainLab.Split(coinbase, funder, count, networkId)).ConfigureAwait(false);
        await node.Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 1, Address = chain.MinerAddresses[0] }, deadline: LabNode.Deadline(60));
        await chain.WaitForOneTipAsync(progress, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var coins = await ChainLab.SpendableAsync(node, funder).ConfigureAwait(false);
        var payments = coins.Take(count).Select(c => ChainLab.Split(c, funder, outputs, networkId)).ToList();

        progress.Step($"chain: {payments.Count} payments of {payments[0].Size:N0} bytes into every lab node's mempool ({perBlock} per {blockBytes:N0}-byte block)");
        await Task.WhenAll(chain.Nodes.Select(async n =>
        {
            foreach (var payment in payments)
            {
                try
                {
                    await ChainLab.SubmitAsync(n, payment).ConfigureAwait(false);
                }
                catch (Grpc.Core.RpcException ex) when (Shared.Rpc.RpcErrors.Describe(ex).Reason == "TX_ALREADY_KNOWN")
                {
                    // relayed to it by another lab node first
                }
            }
        })).ConfigureAwait(false);
        await progress.UntilAsync("every lab node's mempool holding the backlog", async () =>
        {
            foreach (var n in chain.Nodes)
            {
                if ((await ChainLab.MempoolAsync(n).ConfigureAwait(false)).Count < payments.Count)
                {
                    return false;
                }
            }
            return true;
        }, TimeSpan.FromMinutes(3)).ConfigureAwait(false);
        return payments.Count;
    }
}
