using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace LedgerContrast.ChainNode.Network;

/// <summary>Where a node listens: "host:port" (an "http://" prefix is accepted and dropped).</summary>
public sealed record PeerAddress(string Host, int Port)
{
    public Uri Uri => new($"http://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}");

    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static PeerAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not a peer address; use HOST:PORT, e.g. 127.0.0.1:7201.");

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out PeerAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 300)
        {
            return false;
        }
        var trimmed = text.Trim();
        if (trimmed.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            trimmed = trimmed["http://".Length..].TrimEnd('/');
        }
        var colon = trimmed.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(trimmed[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }
        var host = trimmed[..colon];
        if (host == "localhost")
        {
            host = "127.0.0.1";
        }
        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            return false;
        }
        address = new PeerAddress(host, port);
        return true;
    }
}
