using System.Text;

namespace LedgerContrast.Shared.Cli;

/// <summary>Writes secrets (tokens, keys) to files only their owner can read.</summary>
public static class OwnerOnlyFile
{
    public static void WriteAllText(string path, string contents)
    {
        ArgumentNullException.ThrowIfNull(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var writer = new StreamWriter(temporary, Encoding.UTF8, options))
        {
            writer.Write(contents);
        }
        // Replace atomically, so a crash never leaves half a file of secrets behind.
        File.Move(temporary, path, overwrite: true);
    }
}
