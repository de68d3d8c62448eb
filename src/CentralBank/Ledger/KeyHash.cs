namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// Hashes of a scoped idempotency key: FNV-1a and .NET's string hash, which is seeded at random
/// per process, so a caller cannot choose keys that collide on purpose. Nothing stores them:
/// the structures that use them are rebuilt at startup.
/// </summary>
internal static class KeyHash
{
    /// <summary>Two independent hashes (Kirsch–Mitzenmacher double hashing); the second is odd so its multiples cover every bit.</summary>
    public static (uint A, uint B) Seeds(string key)
    {
        var fnv = 2166136261u;
        foreach (var c in key)
        {
            fnv = (fnv ^ c) * 16777619u;
        }
        return (fnv, (uint)key.GetHashCode(StringComparison.Ordinal) | 1u);
    }

    /// <summary>Both as one 64-bit value.</summary>
    public static ulong Of(string key)
    {
        var (a, b) = Seeds(key);
        return ((ulong)a << 32) | b;
    }
}
