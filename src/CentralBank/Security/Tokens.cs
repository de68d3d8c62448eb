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

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));

    /// <summary>
    /// The admin token: <c>BANK_ADMIN_TOKEN</c> if set, else <c>DIR/admin.token</c>, created at first
    /// start with owner-only permissions. It is never logged.
    /// </summary>
    public static string LoadOrCreateAdminToken(string dataDirectory)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(AdminEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment.Trim();
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

    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
