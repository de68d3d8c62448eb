using System.Diagnostics.CodeAnalysis;
using LedgerContrast.Shared.Crypto;

namespace LedgerContrast.Shared.Addresses;

/// <summary>
/// A payment address: bech32m of version 0 followed by the 32-byte x-only public key, with a
/// prefix per network (<see cref="MainHrp"/> for the demo network, <see cref="TestHrp"/> for tests),
/// so coins are never sent to an address of another network by mistake.
/// </summary>
public sealed record Address(string Hrp, PublicKey PublicKey)
{
    public const string MainHrp = "lc";
    public const string TestHrp = "lct";
    public const byte Version = 0;

    /// <summary>The name of the demo network, whose addresses use <see cref="MainHrp"/>.</summary>
    public const string MainNetwork = "lc-local";

    /// <summary>The demo network uses "lc"; every other (test, regtest) network "lct".</summary>
    public static string PrefixForNetwork(string network) => network == MainNetwork ? MainHrp : TestHrp;

    public override string ToString()
    {
        Bech32m.TryConvertBits(PublicKey.Bytes, 8, 5, pad: true, out var data5);
        return Bech32m.Encode(Hrp, [Version, .. data5]);
    }

    public static Address Parse(string text, string? expectedHrp = null) =>
        TryParse(text, expectedHrp, out var address, out var error) ? address : throw new FormatException(error);

    public static bool TryParse(string? text, string? expectedHrp, [NotNullWhen(true)] out Address? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        if (!Bech32m.TryDecode(text?.Trim(), out var hrp, out var data5, out var decodeError))
        {
            error = $"'{text}' is not a valid address: {decodeError}";
            return false;
        }
        if (expectedHrp is not null && !string.Equals(hrp, expectedHrp, StringComparison.Ordinal))
        {
            error = $"'{text}' is an address of network prefix '{hrp}', but this network uses '{expectedHrp}'.";
            return false;
        }
        if (data5.Length == 0 || data5[0] != Version)
        {
            error = $"'{text}' is not a valid address: unknown address version.";
            return false;
        }
        if (!Bech32m.TryConvertBits(data5.AsSpan(1), 5, 8, pad: false, out var keyBytes) || keyBytes.Length != PublicKey.Size)
        {
            error = $"'{text}' is not a valid address: it does not hold a 32-byte public key.";
            return false;
        }
        if (!PublicKey.TryFromBytes(keyBytes, out var key, out var keyError))
        {
            error = $"'{text}' is not a valid address: {keyError}";
            return false;
        }
        address = new Address(hrp, key);
        error = null;
        return true;
    }
}
