using System.Buffers.Binary;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Chain;

/// <summary>Reads the canonical encoding; any truncation or overrun is a <see cref="FormatException"/>.</summary>
public ref struct CanonicalReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public CanonicalReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public Hash256 ReadHash() => new(Take(Hash256.Size));

    public byte[] ReadFixed(int count) => Take(count).ToArray();

    /// <summary>Reads a list count and refuses one that could not fit in what is left.</summary>
    public int ReadCount(int minItemSize)
    {
        var count = ReadUInt32();
        if (count > (uint)(Remaining / Math.Max(minItemSize, 1)))
        {
            throw new FormatException($"A list claims {count} items but only {Remaining} bytes remain.");
        }
        return (int)count;
    }

    public readonly void EnsureEnd()
    {
        if (Remaining != 0)
        {
            throw new FormatException($"{Remaining} unexpected bytes after the end of the object.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new FormatException($"Unexpected end of data: needed {count} bytes at offset {_position}, {Remaining} remain.");
        }
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
