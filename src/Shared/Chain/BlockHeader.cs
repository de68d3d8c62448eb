using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Chain;

/// <summary>The 88-byte header that proof of work is done on (docs/PROTOCOL.md §5).</summary>
public sealed record BlockHeader(uint Version, Hash256 PreviousHash, Hash256 MerkleRoot, ulong TimeMs, uint Bits, ulong Nonce)
{
    public const int EncodedSize = 4 + 32 + 32 + 8 + 4 + 8;
    public const int NonceOffset = EncodedSize - 8;
    public const uint CurrentVersion = 1;

    private Hash256? _hash;

    /// <summary>
    /// What <c>header with { Nonce = n }</c> calls. Written out so the cached hash is NOT copied:
    /// the compiler's copy would carry the original's hash into a header with other fields.
    /// </summary>
    private BlockHeader(BlockHeader original)
    {
        Version = original.Version;
        PreviousHash = original.PreviousHash;
        MerkleRoot = original.MerkleRoot;
        TimeMs = original.TimeMs;
        Bits = original.Bits;
        Nonce = original.Nonce;
    }

    public Hash256 Hash => _hash ??= ComputeHash();

    // The cached hash is not part of the value: two equal headers are equal whether or not hashed yet.
    public bool Equals(BlockHeader? other) =>
        other is not null && Version == other.Version && PreviousHash == other.PreviousHash && MerkleRoot == other.MerkleRoot
        && TimeMs == other.TimeMs && Bits == other.Bits && Nonce == other.Nonce;

    public override int GetHashCode() => HashCode.Combine(Version, PreviousHash, MerkleRoot, TimeMs, Bits, Nonce);

    public void WriteTo(Span<byte> destination)
    {
        var writer = new CanonicalWriter(EncodedSize);
        WriteTo(writer);
        writer.WrittenSpan.CopyTo(destination);
    }

    public void WriteTo(CanonicalWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteUInt32(Version);
        writer.WriteHash(PreviousHash);
        writer.WriteHash(MerkleRoot);
        writer.WriteUInt64(TimeMs);
        writer.WriteUInt32(Bits);
        writer.WriteUInt64(Nonce);
    }

    public byte[] Encode()
    {
        var bytes = new byte[EncodedSize];
        WriteTo(bytes);
        return bytes;
    }

    public static BlockHeader ReadFrom(ref CanonicalReader reader) =>
        new(reader.ReadUInt32(), reader.ReadHash(), reader.ReadHash(), reader.ReadUInt64(), reader.ReadUInt32(), reader.ReadUInt64());

    public static BlockHeader Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new CanonicalReader(bytes);
        var header = ReadFrom(ref reader);
        reader.EnsureEnd();
        return header;
    }

    private Hash256 ComputeHash()
    {
        Span<byte> bytes = stackalloc byte[EncodedSize];
        WriteTo(bytes);
        return Sha256Hasher.DoubleHash(bytes);
    }
}
