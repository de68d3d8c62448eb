using System.Text;

namespace LedgerContrast.Shared.Addresses;

/// <summary>
/// Bech32m (BIP-350) strings: human-readable part, '1', 5-bit data, 6-character checksum.
/// The checksum detects any single mistyped character, which is why addresses use it.
/// </summary>
public static class Bech32m
{
    public const int MaxLength = 90;
    private const string Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    private const uint Bech32mConstant = 0x2bc830a3;
    private static readonly sbyte[] s_charsetRev = BuildReverse();

    public static string Encode(string hrp, ReadOnlySpan<byte> data5)
    {
        ArgumentNullException.ThrowIfNull(hrp);
        var checksum = CreateChecksum(hrp, data5);
        var sb = new StringBuilder(hrp.Length + 1 + data5.Length + 6);
        sb.Append(hrp).Append('1');
        foreach (var b in data5)
        {
            if (b > 31)
            {
                throw new ArgumentException("Bech32m data values are 5 bits (0..31).", nameof(data5));
            }
            sb.Append(Charset[b]);
        }
        foreach (var b in checksum)
        {
            sb.Append(Charset[b]);
        }
        return sb.ToString();
    }

    /// <summary>Decodes a bech32m string; on failure <paramref name="error"/> says exactly what is wrong.</summary>
    public static bool TryDecode(string? text, out string hrp, out byte[] data5, out string? error)
    {
        hrp = string.Empty;
        data5 = [];
        if (string.IsNullOrEmpty(text))
        {
            error = "The address is empty.";
            return false;
        }
        if (text.Length > MaxLength)
        {
            error = $"The address is {text.Length} characters long; at most {MaxLength} are allowed.";
            return false;
        }
        bool lower = false, upper = false;
        foreach (var c in text)
        {
            if (c < 33 || c > 126)
            {
                error = "The address contains a character that is not printable ASCII.";
                return false;
            }
            lower |= c is >= 'a' and <= 'z';
            upper |= c is >= 'A' and <= 'Z';
        }
        if (lower && upper)
        {
            error = "The address mixes upper and lower case.";
            return false;
        }
        var s = text.ToLowerInvariant();
        var separator = s.LastIndexOf('1');
        if (separator < 0)
        {
            error = "The address has no '1' separating its prefix from its data.";
            return false;
        }
        if (separator == 0)
        {
            error = "The address has an empty prefix.";
            return false;
        }
        if (s.Length - separator - 1 < 6)
        {
            error = "The address is too short to hold its 6-character checksum.";
            return false;
        }
        var values = new byte[s.Length - separator - 1];
        for (var i = 0; i < values.Length; i++)
        {
            var c = s[separator + 1 + i];
            var v = c < 128 ? s_charsetRev[c] : (sbyte)-1;
            if (v < 0)
            {
                error = $"The address contains '{c}', which is not a bech32 character.";
                return false;
            }
            values[i] = (byte)v;
        }
        hrp = s[..separator];
        if (Polymod(hrp, values) != Bech32mConstant)
        {
            error = "The address checksum does not match: a character is mistyped.";
            hrp = string.Empty;
            return false;
        }
        data5 = values[..^6];
        error = null;
        return true;
    }

    /// <summary>Regroups bits, e.g. 8-bit bytes to 5-bit values (pad) and back (no padding allowed).</summary>
    public static bool TryConvertBits(ReadOnlySpan<byte> data, int fromBits, int toBits, bool pad, out byte[] result)
    {
        var acc = 0;
        var bits = 0;
        var maxv = (1 << toBits) - 1;
        var output = new List<byte>(data.Length * fromBits / toBits + 1);
        foreach (var value in data)
        {
            if (value >> fromBits != 0)
            {
                result = [];
                return false;
            }
            acc = (acc << fromBits) | value;
            bits += fromBits;
            while (bits >= toBits)
            {
                bits -= toBits;
                output.Add((byte)((acc >> bits) & maxv));
            }
        }
        if (pad)
        {
            if (bits > 0)
            {
                output.Add((byte)((acc << (toBits - bits)) & maxv));
            }
        }
        else if (bits >= fromBits || ((acc << (toBits - bits)) & maxv) != 0)
        {
            result = [];
            return false;
        }
        result = [.. output];
        return true;
    }

    private static byte[] CreateChecksum(string hrp, ReadOnlySpan<byte> data5)
    {
        var values = new byte[data5.Length + 6];
        data5.CopyTo(values);
        var mod = Polymod(hrp, values) ^ Bech32mConstant;
        var checksum = new byte[6];
        for (var i = 0; i < 6; i++)
        {
            checksum[i] = (byte)((mod >> (5 * (5 - i))) & 31);
        }
        return checksum;
    }

    private static uint Polymod(string hrp, ReadOnlySpan<byte> values)
    {
        uint chk = 1;
        foreach (var c in hrp)
        {
            chk = Step(chk) ^ (uint)(c >> 5);
        }
        chk = Step(chk);
        foreach (var c in hrp)
        {
            chk = Step(chk) ^ (uint)(c & 31);
        }
        foreach (var v in values)
        {
            chk = Step(chk) ^ v;
        }
        return chk;
    }

    private static uint Step(uint chk)
    {
        var top = chk >> 25;
        chk = (chk & 0x1ffffff) << 5;
        if ((top & 1) != 0) chk ^= 0x3b6a57b2;
        if ((top & 2) != 0) chk ^= 0x26508e6d;
        if ((top & 4) != 0) chk ^= 0x1ea119fa;
        if ((top & 8) != 0) chk ^= 0x3d4233dd;
        if ((top & 16) != 0) chk ^= 0x2a1462b3;
        return chk;
    }

    private static sbyte[] BuildReverse()
    {
        var rev = new sbyte[128];
        Array.Fill(rev, (sbyte)-1);
        for (var i = 0; i < Charset.Length; i++)
        {
            rev[Charset[i]] = (sbyte)i;
        }
        return rev;
    }
}
