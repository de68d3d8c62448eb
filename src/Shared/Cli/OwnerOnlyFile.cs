using System.Text;
using LedgerContrast.Shared.Storage;

namespace LedgerContrast.Shared.Cli;

/// <summary>
/// Writes secrets (tokens, keys) to files only their owner can read. Each write goes to a fresh
/// temporary file (created exclusively, owner-only from its first byte: never a leftover with
/// wider permissions), is fsynced, then renamed into place and the directory fsynced, so a crash
/// or power loss leaves the old file or the new one — never an empty or half-written one.
/// </summary>
public static class OwnerOnlyFile
{
    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/>, replacing any earlier file.</summary>
    public static void WriteAllText(string path, string contents) => Write(path, contents, replace: true);

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="contents"/> only if no file of that name
    /// exists, atomically (a hard link, which fails if the name is taken; the temporary name is
    /// then removed): of two concurrent
    /// creators exactly one wins; the other gets <see cref="FileAlreadyExistsException"/>.
    /// </summary>
    public static void CreateNew(string path, string contents) => Write(path, contents, replace: false);

    private static void Write(string path, string contents, bool replace)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(contents));
                stream.Flush(flushToDisk: true);
            }
            if (replace)
            {
                File.Move(temporary, full, overwrite: true);
            }
            else if (!DurableFlush.TryLinkExclusive(temporary, full))
            {
                throw new FileAlreadyExistsException(full);
            }
            DurableFlush.Flush(directory);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>The file <see cref="OwnerOnlyFile.CreateNew"/> was asked to create exists already; nothing was written.</summary>
public sealed class FileAlreadyExistsException(string path) : IOException($"{path} already exists.")
{
    public string FilePath { get; } = path;
}
