using System.Globalization;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Chain;

/// <summary>A reference to one output of an earlier transaction: (txid, index).</summary>
public readonly record struct OutPoint(Hash256 Txid, uint Index)
{
    public const int EncodedSize = Hash256.Size + 4;

    public override string ToString() => $"{Txid}:{Index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses "TXID:INDEX" as people type it on the command line.</summary>
    public static OutPoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !Hash256.TryParse(text[..colon], out var txid)
            || !uint.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            throw new FormatException($"'{text}' is not an output reference: expected TXID:INDEX, e.g. {new string('a', 64)}:0.");
        }
        return new OutPoint(txid, index);
    }
}
