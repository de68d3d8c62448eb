namespace LedgerContrast.Shared.Cli;

/// <summary>
/// Where a chain node keeps the secret its admin calls need (<c>DIR/.cookie</c>, owner-only, new at
/// every start), for everything that calls them: the chain CLI, the lab, the tests.
/// </summary>
public static class NodeCookieFile
{
    public const string FileName = ".cookie";
    public const string EnvironmentVariable = "CHAIN_COOKIE_FILE";

    /// <summary>The secret of the node whose data directory is <paramref name="dataDirectory"/>, if this user can read it.</summary>
    public static string? TryRead(string? dataDirectory) => TryReadFile(dataDirectory is null ? null : Path.Combine(dataDirectory, FileName));

    public static string? TryReadFile(string? path)
    {
        try
        {
            return path is not null && File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
