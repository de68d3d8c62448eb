using System.Globalization;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using OutPoint = LedgerContrast.Shared.Chain.OutPoint;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxInput = LedgerContrast.Shared.Chain.TxInput;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// A chain history of full blocks for the hybrid experiment at scale: on a private regtest chain,
/// <c>blocks</c> blocks each holding <c>payments</c> ordinary payments — one coin in, the payment
/// and the change out, as a wallet pays — from as many spenders to a crowd of payees, and now and
/// then one to the light wallet. The lab's own chain has nearly empty blocks, where a light
/// wallet's header and filter weigh about what a block does; here a block weighs what its
/// payments do, as on a busy network.
/// </summary>
public static class FilledHistory
{
    /// <summary>What an ordinary payment moves (the light wallet's are larger, and each different).</summary>
    private static readonly Amount Payment = Amount.FromMinorUnits(1_000);

    private const int Payees = 500;

    /// <summary>The light wallet is paid this many times over the history, at even spacing.</summary>
    public const int WalletPayments = 10;

    /// <summary>Builds the history on <paramref name="chain"/>'s first node; returns what it paid the wallet, in minor units.</summary>
    public static async Task<long> BuildAsync(PrivateChain chain, int blocks, int payments, PrivateKey wallet, Progress progress)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(wallet);
        ArgumentNullException.ThrowIfNull(progress);
        var node = chain.Nodes[0];
        var networkId = ChainLab.NetworkId(await ChainLab.InfoAsync(node).ConfigureAwait(false));
        var spenders = Enumerable.Range(0, payments).Select(_ => PrivateKey.Generate()).ToList();
        var payees = Enumerable.Range(0, Payees).Select(_ => PrivateKey.Generate().PublicKey.ToArray()).ToList();
        try
        {
            var coins = await FundAsync(chain, spenders, blocks, networkId, progress).ConfigureAwait(false);
            var every = Math.Max(1, blocks / WalletPayments);
            var paid = 0L;
            var random = new Random(blocks);
            for (var height = 1; height <= blocks; height++)
            {
                var txs = new Transaction[payments];
                for (var j = 0; j < payments; j++)
                {
                    var toWallet = j == 0 && height % every == 0;
                    var amount = toWallet ? Amount.FromMinorUnits(100_000 + height) : Payment;
                    var (outPoint, value) = coins[j];
                    var change = value - amount - ChainLab.Fee;
                    var unsigned = new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(outPoint)],
                        [new TxOutput(amount, toWallet ? wallet.PublicKey.ToArray() : payees[random.Next(Payees)]), new TxOutput(change, spenders[j].PublicKey.ToArray())]);
                    txs[j] = TransactionSigner.Sign(unsigned, networkId, [spenders[j]], [value]);
                    coins[j] = (new OutPoint(txs[j].Txid, 1), change);
                    paid += toWallet ? amount.MinorUnits : 0;
                }
                await Task.WhenAll(txs.Select(tx => ChainLab.SubmitAsync(node, tx))).ConfigureAwait(false);
                await node.Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 1, Address = chain.MinerAddresses[0] }, deadline: LabNode.Deadline(60));
                if (height % 1_000 == 0 || height == blocks)
                {
                    progress.Step(string.Create(CultureInfo.InvariantCulture, $"chain: filled history: {height:N0} of {blocks:N0} blocks of {payments} payments"));
                }
            }
            await chain.WaitForOneTipAsync(progress, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
            return paid;
        }
        finally
        {
            foreach (var key in spenders)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>One coin per spender, enough for every payment it makes: coinbases fanned out, confirmed and mature.</summary>
    private static async Task<(OutPoint OutPoint, Amount Value)[]> FundAsync(PrivateChain chain, List<PrivateKey> spenders, int blocks, Hash256 networkId, Progress progress)
    {
        var node = chain.Nodes[0];
        var each = Amount.FromMinorUnits((Payment.MinorUnits + ChainLab.Fee.MinorUnits) * (blocks + 1) + 100_000L * (blocks + 1));
        using var funder = PrivateKey.Generate();
        var reward = Amount.FromMinorUnits(50 * Amount.MinorPerUnit);
        var perCoinbase = (int)Math.Max(1, (reward.MinorUnits - ChainLab.Fee.MinorUnits) / each.MinorUnits);
        var coinbases = (spenders.Count + perCoinbase - 1) / perCoinbase;
        await node.Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = (uint)coinbases, Address = await ChainLab.AddressAsync(node, funder).ConfigureAwait(false) }, deadline: LabNode.Deadline(60));
        await node.Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 10, Address = chain.MinerAddresses[0] }, deadline: LabNode.Deadline(60)); // regtest's coinbase maturity
        var funds = await ChainLab.SpendableAsync(node, funder).ConfigureAwait(false);
        if (funds.Count < coinbases)
        {
            throw new InvalidOperationException($"The funder has {funds.Count} mature coinbases of the {coinbases} it mined.");
        }
        var coins = new (OutPoint, Amount)[spenders.Count];
        for (var c = 0; c < coinbases; c++)
        {
            var owners = spenders.Skip(c * perCoinbase).Take(perCoinbase).ToList();
            var value = Amount.FromMinorUnits(funds[c].Amount);
            var rest = value - ChainLab.Fee - Amount.FromMinorUnits(each.MinorUnits * owners.Count);
            List<TxOutput> outputs = [.. owners.Select(o => new TxOutput(each, o.PublicKey.ToArray())), new TxOutput(rest, funder.PublicKey.ToArray())];
            var fanOut = TransactionSigner.Sign(new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(ChainProto.OutPointFromProto(funds[c].OutPoint))], outputs), networkId, [funder], [value]);
            await ChainLab.SubmitAsync(node, fanOut).ConfigureAwait(false);
            for (var i = 0; i < owners.Count; i++)
            {
                coins[c * perCoinbase + i] = (new OutPoint(fanOut.Txid, (uint)i), each);
            }
        }
        await node.Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = 1, Address = chain.MinerAddresses[0] }, deadline: LabNode.Deadline(60));
        progress.Step($"chain: filled history: {spenders.Count} spenders funded from {coinbases} coinbase{(coinbases == 1 ? "" : "s")}");
        return coins;
    }
}
