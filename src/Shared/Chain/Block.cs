using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Chain;

/// <summary>A header and its transactions; the first transaction is the coinbase.</summary>
public sealed class Block
{
    public Block(BlockHeader header, IReadOnlyList<Transaction> transactions)
    {
        Header = header ?? throw new ArgumentNullException(nameof(header));
        Transactions = transactions ?? throw new ArgumentNullException(nameof(transactions));
    }

    public BlockHeader Header { get; }
    public IReadOnlyList<Transaction> Transactions { get; }
    public Hash256 Hash => Header.Hash;

    public int Size
    {
        get
        {
            var size = BlockHeader.EncodedSize + 4;
            foreach (var tx in Transactions)
            {
                size += tx.Size;
            }
            return size;
        }
    }

    public Hash256 ComputeMerkleRoot() => MerkleTree.ComputeRoot(Transactions.Select(t => t.Wtxid).ToList());

    public byte[] Encode()
    {
        var writer = new CanonicalWriter(Size);
        Header.WriteTo(writer);
        writer.WriteUInt32((uint)Transactions.Count);
        foreach (var tx in Transactions)
        {
            tx.WriteTo(writer, withSignatures: true);
        }
        return writer.ToArray();
    }

    public static Block Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new CanonicalReader(bytes);
        var header = BlockHeader.ReadFrom(ref reader);
        var count = reader.ReadCount(12);
        var txs = new Transaction[count];
        for (var i = 0; i < count; i++)
        {
            txs[i] = Transaction.ReadFrom(ref reader);
        }
        reader.EnsureEnd();
        return new Block(header, txs);
    }
}
