using System.Numerics;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Addresses;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using BlockHeader = LedgerContrast.Shared.Chain.BlockHeader;
using OutPoint = LedgerContrast.Shared.Chain.OutPoint;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxInput = LedgerContrast.Shared.Chain.TxInput;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.Contrast.Lab;

/// <summary>What the scenarios do on the chain, as a wallet would: find coins, sign, submit, watch.</summary>
public static class ChainLab
{
    public static readonly Amount Fee = Amount.Parse("0.0001");

    public static async Task<ChainInfo> InfoAsync(LabNode node) =>
        await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: LabNode.Deadline());

    public static BigInteger Work(ChainInfo info) => new(info.CumulativeWork.Span, isUnsigned: true, isBigEndian: true);

    public static async Task<string> AddressAsync(LabNode node, PrivateKey key) =>
        new Address(Address.PrefixForNetwork((await InfoAsync(node)).Network), key.PublicKey).ToString();

    /// <summary>Confirmed, mature coins not already being spent, largest first.</summary>
    public static async Task<List<Utxo>> SpendableAsync(LabNode node, PrivateKey key)
    {
        var reply = await node.Api.ListUtxosAsync(new AddressRequest { Address = await AddressAsync(node, key) }, deadline: LabNode.Deadline());
        return [.. reply.Utxos.Where(u => u.Height > 0 && u.Mature && !u.SpentInMempool).OrderByDescending(u => u.Amount)];
    }

    /// <summary>Waits (mining is running) until <paramref name="owner"/> has a spendable coin, and returns the largest.</summary>
    public static async Task<Utxo> WaitForCoinAsync(Progress progress, LabNode node, PrivateKey owner)
    {
        ArgumentNullException.ThrowIfNull(progress);
        Utxo? coin = null;
        await progress.UntilAsync("a mature coin in the wallet", async () => (coin = (await SpendableAsync(node, owner).ConfigureAwait(false)).FirstOrDefault()) is not null,
            TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        return coin!;
    }

    /// <summary>Pays a whole coin, less the fee, to <paramref name="payee"/>.</summary>
    public static Transaction Pay(Utxo coin, PrivateKey owner, PrivateKey payee, Hash256 networkId)
    {
        ArgumentNullException.ThrowIfNull(coin);
        return Pay(ChainProto.OutPointFromProto(coin.OutPoint), Amount.FromMinorUnits(coin.Amount), owner, payee, networkId);
    }

    /// <summary>Splits one coin into <paramref name="parts"/> equal outputs back to its owner (for independent payments).</summary>
    public static Transaction Split(Utxo coin, PrivateKey owner, int parts, Hash256 networkId)
    {
        ArgumentNullException.ThrowIfNull(coin);
        // At least the minimum relay fee of 1 minor unit per byte, however many parts.
        var fee = Math.Max(Fee.MinorUnits, Transaction.SizeOf(1, parts));
        var each = Amount.FromMinorUnits((coin.Amount - fee) / parts);
        var unsigned = new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(ChainProto.OutPointFromProto(coin.OutPoint))],
            [.. Enumerable.Range(0, parts).Select(_ => new TxOutput(each, owner.PublicKey.ToArray()))]);
        return TransactionSigner.Sign(unsigned, networkId, [owner], [Amount.FromMinorUnits(coin.Amount)]);
    }

    public static Transaction Pay(OutPoint outPoint, Amount amount, PrivateKey owner, PrivateKey payee, Hash256 networkId)
    {
        var unsigned = new Transaction(Transaction.CurrentVersion, [TxInput.WithoutSignature(outPoint)], [new TxOutput(amount - Fee, payee.PublicKey.ToArray())]);
        return TransactionSigner.Sign(unsigned, networkId, [owner], [amount]);
    }

    public static async Task SubmitAsync(LabNode node, Transaction tx) =>
        await node.Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = tx.ToProto() }, deadline: LabNode.Deadline());

    public static async Task<Protos.Chain.V1.TransactionStatus> StatusAsync(LabNode node, Hash256 txid) =>
        (await node.Api.GetTransactionAsync(new GetTransactionRequest { Txid = txid.ToByteString() }, deadline: LabNode.Deadline())).Status;

    public static async Task<HashSet<Hash256>> MempoolAsync(LabNode node) =>
        [.. (await node.Api.GetMempoolAsync(new GetMempoolRequest(), deadline: LabNode.Deadline())).Entries.Select(e => ChainProto.HashFromProto(e.Txid, "txid"))];

    /// <summary>
    /// What the rules let the chain confirm, whatever the number of nodes: as many payments of
    /// <paramref name="paymentSize"/> bytes as fit in a block (beside its coinbase), per block interval.
    /// </summary>
    public static (int PerBlock, double IntervalSeconds, double PerSecond) Capacity(ChainInfo info, int paymentSize)
    {
        ArgumentNullException.ThrowIfNull(info);
        var perBlock = Math.Min((int)info.MaxBlockTransactions - 1, ((int)info.MaxBlockSize - BlockHeader.EncodedSize - 4 - Transaction.SizeOf(1, 1)) / paymentSize);
        var intervalSeconds = info.BlockIntervalMs / 1000.0;
        return (perBlock, intervalSeconds, perBlock / intervalSeconds);
    }

    /// <summary>Message bytes the nodes have sent to and received from their peers since they started (ListPeers; keep-alives included, HTTP/2 framing not).</summary>
    public static async Task<(long Sent, long Received)> TrafficAsync(IReadOnlyList<LabNode> nodes)
    {
        long sent = 0, received = 0;
        foreach (var node in nodes)
        {
            var peers = await node.Api.ListPeersAsync(new ListPeersRequest(), deadline: LabNode.Deadline()).ConfigureAwait(false);
            sent += peers.Peers.Sum(p => (long)p.BytesSent);
            received += peers.Peers.Sum(p => (long)p.BytesReceived);
        }
        return (sent, received);
    }

    /// <summary>The active chain's blocks (genesis included) and the payments in them (coinbases not counted), read block by block from one node.</summary>
    public static async Task<(long Blocks, long Payments)> StoredAsync(LabNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var tip = (await InfoAsync(node).ConfigureAwait(false)).Height;
        long payments = 0;
        for (uint height = 0; height <= tip; height++)
        {
            var block = await node.Api.GetBlockAsync(new GetBlockRequest { Height = height }, deadline: LabNode.Deadline()).ConfigureAwait(false);
            payments += block.Block.Transactions.Count - 1;
        }
        return (tip + 1L, payments);
    }

    public static Hash256 NetworkId(ChainInfo info) => ChainProto.HashFromProto(info.NetworkId, "network id");

    public static string Abbreviate(Hash256 hash) => hash.ToString()[..12];
}
