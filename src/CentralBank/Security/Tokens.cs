using System.Security.Cryptography;
using System.Text;
using LedgerContrast.Shared.Cli;

namespace LedgerContrast.CentralBank.Security;

/// <summary>Bearer tokens: random, shown once, stored only as SHA-256 hashes.</summary>
public static class Tokens
{
    public const string CustomerPrefix = "lcb_";
    public const string AdminEnvironmentVariable = "BANK_ADMIN_TOKEN";
    public const string AdminTokenFile = "admin.token";

    public static string NewCustomerToken() => CustomerPrefix + NewSecret();

    public static string Hash(string token) => Convert.ToHexStringLower(Digest(token));

    /// <summary>The SHA-256 of a token: what is stored, and what is compared (in fixed time, whatever the lengths).</summary>
    public static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>
    /// The admin token: <c>BANK_ADMIN_TOKEN</c> if set, else <c>DIR/admin.token</c>, created at first
    /// start with owner-only permissions. It is never logged.
    /// </summary>
    public static string LoadOrCreateAdminToken(string dataDirectory)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(AdminEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return RequireStrong(fromEnvironment.Trim(), AdminEnvironmentVariable);
        }
        var path = Path.Combine(dataDirectory, AdminTokenFile);
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
        var token = "lca_" + NewSecret();
        OwnerOnlyFile.WriteAllText(path, token);
        return token;
    }

    public const int MinimumBits = 128;

    /// <summary>
    /// The admin token opens every account: refuse one a guesser could find. The estimate is
    /// length × log2(size of the character classes used) — generous to the token, so a token it
    /// refuses is certainly weak — plus at least 8 distinct characters against repetition.
    /// </summary>
    public static string RequireStrong(string token, string source)
    {
        ArgumentNullException.ThrowIfNull(token);
        var alphabet = (token.Any(char.IsAsciiDigit) ? 10 : 0) + (token.Any(char.IsAsciiLetterLower) ? 26 : 0)
            + (token.Any(char.IsAsciiLetterUpper) ? 26 : 0) + (token.Any(c => !char.IsAsciiLetterOrDigit(c)) ? 32 : 0);
        var bits = alphabet == 0 ? 0 : token.Length * Math.Log2(alphabet);
        if (bits < MinimumBits || token.Distinct().Count() < 8)
        {
            throw new WeakAdminTokenException(
                $"The admin token from {source} is too weak: it must carry at least {MinimumBits} bits (e.g. 22 random base64url or 32 random hex characters). Unset it to have the bank generate one.");
        }
        return token;
    }

    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>An admin token a guesser could find: the bank refuses to start with it.</summary>
public sealed class WeakAdminTokenException(string message) : Exception(message);
