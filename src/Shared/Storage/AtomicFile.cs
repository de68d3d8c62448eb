namespace LedgerContrast.Shared.Storage;

/// <summary>
/// Small files written whole: each write goes to a fresh temporary file (created exclusively, so
/// never a leftover with other permissions), is fsynced, then given its name — by rename, or by
/// a link that fails if the name is taken — and the directory fsynced. A crash or power loss
/// leaves the old file or the new one, never an empty or half-written one.
/// </summary>
public static class AtomicFile
{
    /// <param name="ownerOnly">Readable by its owner only, from the first byte (keys, tokens).</param>
    /// <param name="replace">Replace an existing file; otherwise <see cref="FileAlreadyExistsException"/> if the name is taken.</param>
    public static void Write(string path, ReadOnlySpan<byte> contents, bool ownerOnly, bool replace)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(contents);
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

/// <summary>The file <see cref="AtomicFile.Write"/> was asked to create exists already; nothing was written.</summary>
public sealed class FileAlreadyExistsException(string path) : IOException($"{path} already exists.")
{
    public string FilePath { get; } = path;
}
