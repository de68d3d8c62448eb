using System.Buffers.Binary;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Storage;

namespace LedgerContrast.ChainNode.Mempool;

/// <summary>One transaction of mempool.dat: when it arrived, and whether a client submitted it to this node.</summary>
public sealed record SavedTransaction(Transaction Transaction, ulong ReceivedMs, bool Local);

/// <summary>
/// mempool.dat (Bitcoin Core's file of the same name): the pool written at a clean shutdown and
/// every minute, so pending payments survive a restart. It is a cache, not a ledger: written
/// whole (<see cref="AtomicFile"/>); on load every transaction is validated again (a
/// damaged or stale file costs at most its contents, never a wrong pool).
/// Layout: "LCMEMPOOL1", then per transaction: received ms (u64 LE), local (u8), length (u32 LE), encoding.
/// </summary>
public sealed class MempoolFile(string dataDirectory)
{
    public const string FileName = "mempool.dat";
    private static ReadOnlySpan<byte> Magic => "LCMEMPOOL1"u8;

    public string FilePath { get; } = Path.Combine(dataDirectory, FileName);

    public void Save(IReadOnlyCollection<SavedTransaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        using var buffer = new MemoryStream();
        buffer.Write(Magic);
        Span<byte> head = stackalloc byte[13];
        foreach (var saved in transactions)
        {
            var bytes = saved.Transaction.Encode();
            BinaryPrimitives.WriteUInt64LittleEndian(head, saved.ReceivedMs);
            head[8] = saved.Local ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteInt32LittleEndian(head[9..], bytes.Length);
            buffer.Write(head);
            buffer.Write(bytes);
        }
        AtomicFile.Write(FilePath, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), ownerOnly: false, replace: true);
    }

    /// <summary>What the file holds, up to the first damaged record (a torn or foreign file yields what precedes the damage).</summary>
    public IReadOnlyList<SavedTransaction> Load()
    {
        if (!File.Exists(FilePath))
        {
            return [];
        }
        var bytes = File.ReadAllBytes(FilePath);
        var loaded = new List<SavedTransaction>();
        if (!bytes.AsSpan().StartsWith(Magic))
        {
            return loaded;
        }
        var offset = Magic.Length;
        while (offset + 13 <= bytes.Length)
        {
            var received = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
            var local = bytes[offset + 8] == 1;
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 9));
            offset += 13;
            if (length <= 0 || length > bytes.Length - offset)
            {
                break;
            }
            try
            {
                loaded.Add(new SavedTransaction(Transaction.Decode(bytes.AsSpan(offset, length)), received, local));
            }
            catch (FormatException)
            {
                break;
            }
            offset += length;
        }
        return loaded;
    }
}
