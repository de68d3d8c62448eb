using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace LedgerContrast.Shared.Hashing;

/// <summary>
/// A 32-byte hash (txid, block hash, merkle root, network id). Shown as lowercase hex of the
/// bytes in the order the hash function produced them (no Bitcoin-style reversal).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Hash256 : IEquatable<Hash256>, IComparable<Hash256>
{
    public const int Size = 32;
    private readonly ulong _a, _b, _c, _d;

    public static Hash256 Zero => default;

    public Hash256(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A hash is exactly {Size} bytes, got {bytes.Length}.", nameof(bytes));
        }
        _a = MemoryMarshal.Read<ulong>(bytes);
        _b = MemoryMarshal.Read<ulong>(bytes[8..]);
        _c = MemoryMarshal.Read<ulong>(bytes[16..]);
        _d = MemoryMarshal.Read<ulong>(bytes[24..]);
    }

    public bool IsZero => (_a | _b | _c | _d) == 0;

    public void WriteTo(Span<byte> destination)
    {
        MemoryMarshal.Write(destination, in _a);
        MemoryMarshal.Write(destination[8..], in _b);
        MemoryMarshal.Write(destination[16..], in _c);
        MemoryMarshal.Write(destination[24..], in _d);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    public static Hash256 Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (!TryParse(hex, out var hash))
        {
            throw new FormatException($"'{Truncate(hex)}' is not a hash: expected 64 hexadecimal characters.");
        }
        return hash;
    }

    public static bool TryParse([NotNullWhen(true)] string? hex, out Hash256 hash)
    {
        hash = default;
        if (hex is null || hex.Length != Size * 2)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }
        hash = new Hash256(bytes);
        return true;
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Compares as a 256-bit big-endian unsigned integer (the proof-of-work order).</summary>
    public int CompareTo(Hash256 other)
    {
        Span<byte> left = stackalloc byte[Size];
        Span<byte> right = stackalloc byte[Size];
        WriteTo(left);
        other.WriteTo(right);
        return left.SequenceCompareTo(right);
    }

    public bool Equals(Hash256 other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;
    public override bool Equals(object? obj) => obj is Hash256 other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);
    public static bool operator ==(Hash256 left, Hash256 right) => left.Equals(right);
    public static bool operator !=(Hash256 left, Hash256 right) => !left.Equals(right);
    public static bool operator <(Hash256 left, Hash256 right) => left.CompareTo(right) < 0;
    public static bool operator >(Hash256 left, Hash256 right) => left.CompareTo(right) > 0;
    public static bool operator <=(Hash256 left, Hash256 right) => left.CompareTo(right) <= 0;
    public static bool operator >=(Hash256 left, Hash256 right) => left.CompareTo(right) >= 0;

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
