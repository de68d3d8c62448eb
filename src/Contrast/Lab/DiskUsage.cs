namespace LedgerContrast.Contrast.Lab;

/// <summary>What a directory weighs on disk: the bytes of every file under it (0 if it is not there).</summary>
public static class DiskUsage
{
    public static long Of(string directory) =>
        Directory.Exists(directory) ? new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
}
