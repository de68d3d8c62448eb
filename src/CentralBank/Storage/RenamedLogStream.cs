using LedgerContrast.Shared.Storage;
using Microsoft.Win32.SafeHandles;

namespace LedgerContrast.CentralBank.Storage;

/// <summary>
/// LiteDB's -log file, handed to LiteDB as a stream so that emptying it after a checkpoint frees
/// no disk blocks. LiteDB empties its log by truncating it, inside the commit that crossed its
/// checkpoint size (1,000 pages), with the writer waiting. On this machine's ext4 (mounted with
/// discard) freeing those blocks is slow wherever it happens: the truncate took ~14 ms (4 ms at
/// 100 pages, 37 ms at 4,000, measured in isolation), and closing a renamed-away log on another
/// thread instead moved the stall into the next batch's fsync (10–15 ms). That was the bank's
/// largest stall: the p99 of `bank bench`.
/// <para>
/// So two files take turns. At a checkpoint the data file is fsynced (the pages just copied there
/// must be durable before the log holding them goes), the current log gets a second name
/// (<c>.retired</c>), and the spare — zero-filled and fsynced beforehand — is renamed over the
/// log's name (rename(2) is atomic). On another thread the retired file is zero-filled, fsynced
/// and named the next spare. Blocks are overwritten, never freed.
/// </para>
/// <para>
/// After a crash the log's name holds either the old log (LiteDB copies it into the data file
/// again on open: the same pages, the same result) or the new one: its pages, then zeros, which
/// LiteDB reads as pages of no committed transaction and ignores. Leftover <c>.spare</c> and
/// <c>.retired</c> files are deleted at open. The stream's length is what was written since the
/// swap, so LiteDB never sees the zeros of a spare it is writing.
/// </para>
/// </summary>
internal sealed class RenamedLogStream : Stream
{
    private const int PageSize = 8192;
    private readonly string _path;
    private readonly string _sparePath;
    private readonly string _retiredPath;
    private readonly string _directory;
    private readonly FileStream _data;
    private FileStream _file;
    private SafeFileHandle _fileHandle;
    private long _length;
    private FileStream? _spare;
    private Task _preparingSpare = Task.CompletedTask;

    public RenamedLogStream(string path, FileStream data)
    {
        _path = path;
        _sparePath = path + ".spare";
        _retiredPath = path + ".retired";
        _directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        _data = data;
        File.Delete(_sparePath);
        File.Delete(_retiredPath);
        _file = Open(path, FileMode.OpenOrCreate);
        _fileHandle = _file.SafeFileHandle;
        _length = WrittenLength(_file);
    }

    /// <summary>
    /// fsync of the current log through the descriptor held, where a flush by path stats, opens and
    /// closes the file for every batch. The handle is taken when the stream is made current:
    /// FileStream's getter flushes its buffer, which must not happen under a concurrent reader.
    /// </summary>
    public void FlushToDisk() => RandomAccess.FlushToDisk(_fileHandle);

    /// <summary>
    /// The log up to its last page that is not all zeros: a spare written after the last swap ends
    /// in zeros, which LiteDB would read at every checkpoint and append after.
    /// </summary>
    private static long WrittenLength(FileStream file)
    {
        var page = new byte[PageSize];
        var length = file.Length;
        while (length > 0)
        {
            var start = Math.Max(0, length - PageSize);
            var read = RandomAccess.Read(file.SafeFileHandle, page.AsSpan(0, (int)(length - start)), start);
            if (page.AsSpan(0, read).ContainsAnyExcept((byte)0))
            {
                return length;
            }
            length = start;
        }
        return 0;
    }

    /// <summary>
    /// Opened for this process alone (a second bank, or an offline `bank audit`, on a live data
    /// directory is refused, not let in to write beside it), with a page-sized buffer as LiteDB
    /// opens its own files, owner-only.
    /// </summary>
    public static FileStream Open(string path, FileMode mode)
    {
        var options = new FileStreamOptions
        {
            Mode = mode,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = PageSize,
            Options = FileOptions.RandomAccess,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        return new FileStream(path, options);
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => true;
    public override long Length => _length;

    public override long Position
    {
        get => _file.Position;
        set => _file.Position = value;
    }

    public override void Flush() => _file.Flush();

    public override int Read(byte[] buffer, int offset, int count) =>
        _file.Read(buffer, offset, (int)Math.Clamp(_length - _file.Position, 0, count));

    public override long Seek(long offset, SeekOrigin origin) =>
        _file.Seek(origin == SeekOrigin.End ? _length + offset : offset, origin == SeekOrigin.End ? SeekOrigin.Begin : origin);

    public override void Write(byte[] buffer, int offset, int count)
    {
        _file.Write(buffer, offset, count);
        _length = Math.Max(_length, _file.Position);
    }

    public override void SetLength(long value)
    {
        if (value != 0 || OperatingSystem.IsWindows())
        {
            _file.SetLength(value);
            _length = value;
            return;
        }
        if (_length == 0)
        {
            return;
        }
        _file.Flush();
        _data.Flush(flushToDisk: true); // inside LiteDB's checkpoint: no reader holds the data stream
        try
        {
            _preparingSpare.Wait();
        }
        catch (AggregateException)
        {
            // Only an optimisation failed: start afresh with an empty spare.
            File.Delete(_retiredPath);
            File.Delete(_sparePath);
        }
        File.Delete(_retiredPath); // left only by a failed zero-fill: the directory's files are this process's alone
        try
        {
            if (!DurableFlush.TryLinkExclusive(_path, _retiredPath))
            {
                throw new IOException($"{_retiredPath} could not be created.");
            }
        }
        catch (IOException)
        {
            // A file system without hard links: empty the log as LiteDB would (slower, as safe).
            _file.SetLength(0);
            _length = 0;
            return;
        }
        var next = _spare ?? Open(_sparePath, FileMode.CreateNew);
        _spare = null;
        File.Move(_sparePath, _path, overwrite: true);
        DurableFlush.Flush(_directory);
        var retired = _file;
        _file = next;
        _fileHandle = next.SafeFileHandle;
        _file.Position = 0;
        _length = 0;
        _preparingSpare = Task.Run(() => _spare = ZeroFilled(retired));
    }

    /// <summary>Overwrites the retired log with zeros, makes that durable, and names it the spare.</summary>
    private FileStream ZeroFilled(FileStream retired)
    {
        try
        {
            var zeros = new byte[256 * 1024];
            var length = retired.Length;
            for (long offset = 0; offset < length; offset += zeros.Length)
            {
                RandomAccess.Write(retired.SafeFileHandle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, length - offset)), offset);
            }
            retired.Flush(flushToDisk: true);
            File.Move(_retiredPath, _sparePath, overwrite: false);
            DurableFlush.Flush(_directory);
            return retired;
        }
        catch
        {
            retired.Dispose();
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                _preparingSpare.Wait();
            }
            catch (AggregateException)
            {
                // the spare is only an optimisation: a failure to prepare it loses nothing
            }
            _spare?.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }
}
