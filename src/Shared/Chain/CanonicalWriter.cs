using System.Buffers.Binary;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Chain;

/// <summary>
/// Writes the canonical encoding of docs/PROTOCOL.md: fixed-width little-endian integers, raw
/// fixed-size byte strings, u32 counts before lists. Nothing is optional and nothing is
/// self-describing, so one object has exactly one encoding and hashes are reproducible.
/// </summary>
public sealed class CanonicalWriter
{
    private byte[] _buffer;
    private int _length;

    public CanonicalWriter(int capacity = 256) => _buffer = new byte[Math.Max(capacity, 16)];

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), value);

    public void WriteHash(Hash256 hash) => hash.WriteTo(Take(Hash256.Size));

    public void WriteFixed(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Take(bytes.Length));

    private Span<byte> Take(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
