using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Filters;

/// <summary>
/// A block's compact filter in the manner of BIP-158's basic filter (docs/PROTOCOL.md §9): a
/// Golomb-coded set, P = 19 and M = 784,931, of the 32-byte public keys the block touches — every
/// output's key and every spent output's key. A light client asks whether any of its keys is in
/// it: a key that is there always matches; one that is not matches with probability about 1/M.
/// Encoding: CompactSize(N), then for each value in ascending order its difference from the one
/// before as a Golomb-Rice code (the quotient in unary, ones closed by a zero; the remainder in
/// P bits, most significant first), bits packed most significant first, the last byte padded with zeros.
/// </summary>
public sealed class BlockFilter
{
    public const int P = 19;
    public const ulong M = 784_931;

    /// <summary>More keys than a block can touch (10,000 transactions of at most 100 kB): a filter claiming more is refused unread.</summary>
    public const int MaxItems = 1_000_000;

    private readonly ulong _k0;
    private readonly ulong _k1;

    private BlockFilter(Hash256 blockHash, byte[] encoded, int count)
    {
        BlockHash = blockHash;
        Encoded = encoded;
        Count = count;
        (_k0, _k1) = Key(blockHash);
    }

    public Hash256 BlockHash { get; }

    /// <summary>The filter's bytes: what travels, what is stored, and what its hash is taken over.</summary>
    public byte[] Encoded { get; }

    /// <summary>N: how many distinct items the set holds.</summary>
    public int Count { get; }

    /// <summary>SHA256d of the encoding: what the filter header chain commits to.</summary>
    public Hash256 Hash => Sha256Hasher.DoubleHash(Encoded);

    /// <summary>The filter of <paramref name="items"/> (duplicates count once) for the block <paramref name="blockHash"/>.</summary>
    public static BlockFilter Build(Hash256 blockHash, IEnumerable<byte[]> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return Build(blockHash, items.Select(i => (ReadOnlyMemory<byte>)i));
    }

    /// <inheritdoc cref="Build(Hash256, IEnumerable{byte[]})"/>
    public static BlockFilter Build(Hash256 blockHash, IEnumerable<ReadOnlyMemory<byte>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var distinct = items.Distinct(ByContent.Instance).ToList();
        var (k0, k1) = Key(blockHash);
        var range = (ulong)distinct.Count * M;
        var values = distinct.Select(item => HashToRange(k0, k1, item.Span, range)).Order().ToList();
        var writer = new BitWriter();
        writer.WriteCompactSize((ulong)values.Count);
        var last = 0UL;
        foreach (var value in values)
        {
            var delta = value - last;
            last = value;
            for (var q = delta >> P; q > 0; q--)
            {
                writer.WriteBit(true);
            }
            writer.WriteBit(false);
            writer.WriteBits(delta & ((1UL << P) - 1), P);
        }
        return new BlockFilter(blockHash, writer.ToArray(), values.Count);
    }

    /// <summary>A filter as received; <see cref="FormatException"/> if its count is not a CompactSize or is beyond <see cref="MaxItems"/>.</summary>
    public static BlockFilter Decode(Hash256 blockHash, byte[] encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        var count = new BitReader(encoded).ReadCompactSize();
        if (count > MaxItems)
        {
            throw new FormatException($"The filter claims {count} items; a block cannot touch more than {MaxItems}.");
        }
        return new BlockFilter(blockHash, encoded, (int)count);
    }

    /// <summary>Whether any of <paramref name="items"/> may be in the set (a member always matches); <see cref="FormatException"/> if the bits end early.</summary>
    public bool MatchesAny(IEnumerable<byte[]> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (Count == 0)
        {
            return false;
        }
        var range = (ulong)Count * M;
        var wanted = items.Select(i => HashToRange(_k0, _k1, i, range)).Order().ToList();
        if (wanted.Count == 0)
        {
            return false;
        }
        var reader = new BitReader(Encoded);
        reader.ReadCompactSize();
        var value = 0UL;
        var next = 0;
        for (var i = 0; i < Count; i++)
        {
            var quotient = 0UL;
            while (reader.ReadBit())
            {
                quotient++;
            }
            value += (quotient << P) + reader.ReadBits(P);
            while (next < wanted.Count && wanted[next] < value)
            {
                next++;
            }
            if (next == wanted.Count)
            {
                return false;
            }
            if (wanted[next] == value)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The filter header chain: SHA256d(filter hash || previous filter header), the previous of genesis's being 32 zero bytes.</summary>
    public static Hash256 NextHeader(Hash256 filterHash, Hash256 previousHeader) => Sha256Hasher.DoubleHashPair(filterHash, previousHeader);

    /// <summary>The SipHash key: the block hash's first 16 bytes, as two little-endian 64-bit words.</summary>
    private static (ulong K0, ulong K1) Key(Hash256 blockHash)
    {
        Span<byte> bytes = stackalloc byte[Hash256.Size];
        blockHash.WriteTo(bytes);
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[..8]), System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..16]));
    }

    /// <summary>SipHash of the item, mapped onto [0, range) by the high 64 bits of a 128-bit product (BIP-158's hash_to_range).</summary>
    private static ulong HashToRange(ulong k0, ulong k1, ReadOnlySpan<byte> item, ulong range) => Math.BigMul(SipHash.Hash(k0, k1, item), range, out _);

    /// <summary>Items are equal when their bytes are (built when a block connects: no string per key).</summary>
    private sealed class ByContent : IEqualityComparer<ReadOnlyMemory<byte>>
    {
        public static readonly ByContent Instance = new();

        public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

        public int GetHashCode(ReadOnlyMemory<byte> obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj.Span);
            return hash.ToHashCode();
        }
    }

    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private int _used = 8;

        public void WriteCompactSize(ulong value)
        {
            if (value < 0xfd)
            {
                _bytes.Add((byte)value);
            }
            else if (value <= 0xffff)
            {
                _bytes.Add(0xfd);
                _bytes.AddRange(LittleEndian(value, 2));
            }
            else if (value <= 0xffff_ffff)
            {
                _bytes.Add(0xfe);
                _bytes.AddRange(LittleEndian((uint)value, 4));
            }
            else
            {
                _bytes.Add(0xff);
                _bytes.AddRange(LittleEndian(value, 8));
            }
            _used = 8;
        }

        public void WriteBit(bool bit)
        {
            if (_used == 8)
            {
                _bytes.Add(0);
                _used = 0;
            }
            if (bit)
            {
                _bytes[^1] |= (byte)(0x80 >> _used);
            }
            _used++;
        }

        public void WriteBits(ulong value, int count)
        {
            for (var i = count - 1; i >= 0; i--)
            {
                WriteBit(((value >> i) & 1) == 1);
            }
        }

        public byte[] ToArray() => [.. _bytes];

        private static IEnumerable<byte> LittleEndian(ulong value, int size) => Enumerable.Range(0, size).Select(i => (byte)(value >> (8 * i)));
    }

    private sealed class BitReader(byte[] bytes)
    {
        private int _byte;
        private int _bit;

        public ulong ReadCompactSize()
        {
            var first = Next();
            var size = first switch { 0xfd => 2, 0xfe => 4, 0xff => 8, _ => 0 };
            var value = size == 0 ? first : 0UL;
            for (var i = 0; i < size; i++)
            {
                value |= (ulong)Next() << (8 * i);
            }
            var minimal = size switch { 0 => 0UL, 2 => 0xfdUL, 4 => 0x1_0000UL, _ => 0x1_0000_0000UL };
            if (value < minimal)
            {
                throw new FormatException("The filter's count is not in its shortest CompactSize form.");
            }
            return value;
        }

        public bool ReadBit()
        {
            if (_byte >= bytes.Length)
            {
                throw new FormatException("The filter's bits end before its count of items.");
            }
            var bit = (bytes[_byte] & (0x80 >> _bit)) != 0;
            if (++_bit == 8)
            {
                (_byte, _bit) = (_byte + 1, 0);
            }
            return bit;
        }

        public ulong ReadBits(int count)
        {
            var value = 0UL;
            for (var i = 0; i < count; i++)
            {
                value = (value << 1) | (ReadBit() ? 1UL : 0UL);
            }
            return value;
        }

        private byte Next()
        {
            if (_byte >= bytes.Length)
            {
                throw new FormatException("The filter ends before its count.");
            }
            return bytes[_byte++];
        }
    }
}
