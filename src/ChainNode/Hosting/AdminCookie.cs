using System.Security.Cryptography;
using Grpc.Core;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.ChainNode.Hosting;

/// <summary>
/// The admin calls (AddPeer, RemovePeer, SetMining, GenerateBlocks) redirect rewards and cut the
/// node off, yet share the port peers use. So, like bitcoind's <c>.cookie</c>, the node writes a
/// fresh random secret to <c>DIR/.cookie</c> (owner-only) at every start, and those calls must
/// carry it as <c>authorization: Bearer …</c>. Whoever can read the data directory is the admin.
/// </summary>
public sealed class AdminCookie
{
    private AdminCookie(string secret) => Secret = secret;

    public string Secret { get; }

    public static AdminCookie Create(string dataDirectory)
    {
        var cookie = new AdminCookie(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        OwnerOnlyFile.WriteAllText(Path.Combine(dataDirectory, NodeCookieFile.FileName), cookie.Secret);
        return cookie;
    }

    public void Require(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.RequestHeaders.GetValue("authorization") ?? "";
        const string scheme = "Bearer ";
        var given = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        if (given.Length == 0)
        {
            throw new AdminCookieRequiredException();
        }
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(given)), SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Secret))))
        {
            throw new AdminCookieWrongException();
        }
    }
}

/// <summary>An admin call with a cookie that is not this node's (most often one read before the node's last restart).</summary>
public sealed class AdminCookieWrongException()
    : ReasonedException(Api.NodeReasons.AdminCookieWrong, $"The admin cookie sent does not match this node's: the node writes a new {NodeCookieFile.FileName} in its data directory at every start, so one read before its last restart no longer works; read it again (the chain CLI does with --cookie-file).", null);

/// <summary>An admin call without the node's cookie.</summary>
public sealed class AdminCookieRequiredException()
    : ReasonedException(Api.NodeReasons.AdminCookieRequired, $"This is an admin call: send the node's {NodeCookieFile.FileName} secret (in its data directory) as 'authorization: Bearer <secret>'; the chain CLI does with --cookie-file.", null);
