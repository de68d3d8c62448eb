using System.Runtime.InteropServices;

namespace LedgerContrast.Shared.Storage;

/// <summary>
/// fsync by path. LiteDB 5.0.21 never fsyncs its -log file on commit (docs/ARCHITECTURE.md §4), so
/// the bank fsyncs its files itself once per batch, before any client hears "done"; small files
/// replaced by rename (wallets, mempool.dat) fsync the file and then its directory, so the new
/// name survives an OS crash too. On Linux, fsync of any descriptor of a file flushes that file,
/// and opening our own descriptor avoids .NET's advisory locks clashing with LiteDB's stream.
/// </summary>
public static partial class DurableFlush
{
    private const int ReadOnly = 0;

    /// <summary>Flushes a file, or a directory's entries (a no-op on Windows, which has no directory fsync).</summary>
    public static void Flush(string path)
    {
        if (Directory.Exists(path) && OperatingSystem.IsWindows())
        {
            return;
        }
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return;
        }
        if (OperatingSystem.IsWindows())
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            stream.Flush(flushToDisk: true);
            return;
        }
        var fd = OpenRetryingOnDescriptorShortage(path);
        if (fd < 0)
        {
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                return; // checkpointed away between the check and the open: nothing left to flush
            }
            throw new IOException($"Cannot open {path} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of {path} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// A flood of connections can use every descriptor for a moment (the server accepts one over
    /// its limit before closing it): an fsync must not fail-stop the bank for that, so a missing
    /// descriptor (EMFILE, ENFILE) is waited for, briefly.
    /// </summary>
    private static int OpenRetryingOnDescriptorShortage(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            var fd = Open(path, ReadOnly);
            var errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (fd >= 0 || errno is not (TooManyOpenFiles or TooManyOpenFilesInSystem) || attempt == 40)
            {
                Marshal.SetLastPInvokeError(errno);
                return fd;
            }
            Thread.Sleep(5);
        }
    }

    private const int TooManyOpenFiles = 24; // EMFILE
    private const int TooManyOpenFilesInSystem = 23; // ENFILE

    /// <summary>
    /// Gives <paramref name="source"/>'s file the second name <paramref name="destination"/>,
    /// atomically and only if that name is free (link(2); on Windows a non-replacing move).
    /// Returns false if the name is taken. .NET's File.Move(…, overwrite: false) checks, then
    /// renames: two racing callers can both "win".
    /// </summary>
    public static bool TryLinkExclusive(string source, string destination)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                File.Move(source, destination, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(destination))
            {
                return false;
            }
        }
        if (Link(source, destination) == 0)
        {
            return true;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno == AlreadyExists ? false : throw new IOException($"Cannot link {source} to {destination} (errno {errno}).");
    }

    private const int AlreadyExists = 17; // EEXIST

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
