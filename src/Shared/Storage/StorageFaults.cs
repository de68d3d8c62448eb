namespace LedgerContrast.Shared.Storage;

/// <summary>The points of a batch's life where storage can fail, in order.</summary>
public enum StorageStep
{
    /// <summary>Before the batch's transaction commits: a failure here changes nothing.</summary>
    Write,

    /// <summary>LiteDB's commit: from here on the batch may be on disk.</summary>
    Commit,

    /// <summary>The fsync after commit.</summary>
    Flush,
}

/// <summary>
/// Fault injection for tests (TigerBeetle-style): called before each storage step, it may throw
/// what a failing disk would. Production passes none.
/// </summary>
public interface IStorageFaultInjector
{
    void Before(StorageStep step);
}

public static class StorageErrors
{
    private const int Enospc = 28;
    private const int Edquot = 122;

    /// <summary>Whether an exception says the disk (or quota) is full: the one storage failure that is not a fault of the data.</summary>
    public static bool IsDiskFull(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is IOException io && (io.HResult is Enospc or Edquot
                || io.HResult == unchecked((int)0x80070070) || io.HResult == unchecked((int)0x80070027)
                || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }
        return false;
    }
}
