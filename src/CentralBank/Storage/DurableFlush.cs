using System.Runtime.InteropServices;

namespace LedgerContrast.CentralBank.Storage;

/// <summary>
/// LiteDB 5.0.21 never fsyncs its -log file on commit (docs/ARCHITECTURE.md §4), so a committed batch would
/// survive kill -9 but not an OS crash. We fsync the files ourselves once per batch, before any
/// client hears "done". On Linux, fsync of any descriptor of a file flushes that file, and
/// opening our own descriptor avoids .NET's advisory locks clashing with LiteDB's stream.
/// </summary>
internal static partial class DurableFlush
{
    private const int ReadOnly = 0;

    public static void Flush(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }
        if (OperatingSystem.IsWindows())
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            stream.Flush(flushToDisk: true);
            return;
        }
        var fd = Open(path, ReadOnly);
        if (fd < 0)
        {
            if (!File.Exists(path))
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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
