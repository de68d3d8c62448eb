namespace LedgerContrast.TestSupport;

/// <summary>Temp directories of the tests: a fresh path per use, and a best-effort cleanup.</summary>
public static class TempDirectory
{
    public static string NewPath(string prefix) => Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));

    /// <summary>Deletes it if it can; a leftover temp directory must never fail a test.</summary>
    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
