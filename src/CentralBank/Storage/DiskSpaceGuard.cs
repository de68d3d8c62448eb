namespace LedgerContrast.CentralBank.Storage;

/// <summary>
/// Keeps the ledger from ever meeting a full disk mid-write. Before each batch the writer asks
/// <see cref="HasRoomForWrites"/>: below <see cref="MinFreeBytes"/> the batch is refused with
/// STORAGE_FULL before LiteDB writes a byte, while reads and audits go on. A reserve file holds
/// back <see cref="ReserveBytes"/> more; if the disk fills anyway (another process raced us),
/// releasing it gives LiteDB room to roll back instead of failing inside its own error path.
/// </summary>
public sealed class DiskSpaceGuard
{
    public const string ReserveFileName = "space.reserve";

    private readonly string _directory;
    private readonly string _reservePath;

    public DiskSpaceGuard(string directory, long minFreeBytes, long reserveBytes)
    {
        _directory = Path.GetFullPath(directory);
        _reservePath = Path.Combine(_directory, ReserveFileName);
        MinFreeBytes = minFreeBytes;
        ReserveBytes = reserveBytes;
    }

    public long MinFreeBytes { get; }
    public long ReserveBytes { get; }

    public long FreeBytes => new DriveInfo(_directory).AvailableFreeSpace;

    public bool HasReserve => ReserveBytes == 0 || File.Exists(_reservePath) && new FileInfo(_reservePath).Length >= ReserveBytes;

    public bool HasRoomForWrites => FreeBytes >= MinFreeBytes;

    /// <summary>
    /// Creates the reserve if it is missing and there is room for it beyond the minimum. Written
    /// with real bytes, not SetLength: a sparse file reserves nothing.
    /// </summary>
    public bool TryEnsureReserve()
    {
        if (HasReserve)
        {
            return true;
        }
        if (FreeBytes < MinFreeBytes + ReserveBytes)
        {
            return false;
        }
        var buffer = new byte[64 * 1024];
        try
        {
            using var stream = new FileStream(_reservePath, FileMode.Create, FileAccess.Write, FileShare.None, buffer.Length, FileOptions.WriteThrough);
            for (long written = 0; written < ReserveBytes; written += buffer.Length)
            {
                stream.Write(buffer, 0, (int)Math.Min(buffer.Length, ReserveBytes - written));
            }
            stream.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException)
        {
            Release();
            return false;
        }
    }

    /// <summary>Gives the reserve's space back to the file system, for LiteDB's rollback.</summary>
    public void Release()
    {
        try
        {
            File.Delete(_reservePath);
        }
        catch (IOException)
        {
            // Nothing more can be freed; the caller stops if the rollback still fails.
        }
    }
}
