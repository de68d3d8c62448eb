using LedgerContrast.Shared.Storage;
using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>How the ledger stores: where, how long keys live, how much disk it keeps free.</summary>
public sealed record LedgerOptions
{
    public const long DefaultMinFreeBytes = 64L * 1024 * 1024;
    public const long DefaultReserveBytes = 16L * 1024 * 1024;
    public static readonly TimeSpan DefaultKeyRetention = TimeSpan.FromHours(24);

    public required string DataDirectory { get; init; }
    public TimeSpan IdempotencyKeyRetention { get; init; } = DefaultKeyRetention;

    /// <summary>Below this much free space, writes are refused with STORAGE_FULL (room for a batch and a LiteDB checkpoint).</summary>
    public long MinFreeBytes { get; init; } = DefaultMinFreeBytes;

    /// <summary>Held back in a reserve file and released when the disk fills anyway, so a rollback never lacks space.</summary>
    public long ReserveBytes { get; init; } = DefaultReserveBytes;

    /// <summary>Idempotency keys found through memory (≈ 28 bytes each, computed); older retained keys move to an indexed collection, slower to write.</summary>
    public int MaxRecentKeys { get; init; } = RecentKeys.DefaultCapacity;

    /// <summary>Commands that may wait for the writer before new ones are refused OVERLOADED.</summary>
    public int MaxQueuedCommands { get; init; } = LedgerWriter.DefaultMaxQueued;

    /// <summary>LiteDB's checkpoint size, in 8 KiB log pages.</summary>
    public int CheckpointPages { get; init; } = BankDatabase.DefaultCheckpointPages;

    /// <summary>Entries a changed balance waits before its account document is written (start-up replays about this many).</summary>
    public int MaterializeAfterEntries { get; init; } = Materialization.DefaultAfterEntries;

    /// <summary>Tests only: fails storage steps on purpose.</summary>
    public IStorageFaultInjector? Faults { get; init; }

    /// <summary>Tests only: replaces the idempotency key hash, so keys can be made to collide.</summary>
    internal Func<string, ulong>? KeyHash { get; init; }
}
