using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>What checking a peer's headers found (PROTOCOL.md §9, headers first).</summary>
public enum HeaderVerdict
{
    /// <summary>Every header obeyed the header rules and joined the branch (or was already stored).</summary>
    Extended,

    /// <summary>A header broke a header rule, or builds on a block known to be invalid: its sender is punished.</summary>
    Invalid,

    /// <summary>A header links to nothing this node stores nor to the header before it: an answer to our locator cannot do that; punished.</summary>
    NotConnected,

    /// <summary>A header's time is too far ahead of our clock: nobody's fault yet; the rest is not looked at.</summary>
    TimeFuture,

    /// <summary>The branch reached its byte bound without showing more work than the tip: nothing is stored, nobody punished.</summary>
    TooLong,
}

/// <param name="Reason">For <see cref="HeaderVerdict.Invalid"/> and <see cref="HeaderVerdict.TimeFuture"/>: the rule's reason (the BLOCK_* a block with that header would get).</param>
public sealed record HeadersOutcome(HeaderVerdict Verdict, string Reason = "", string Detail = "");

/// <summary>
/// A peer's header chain beyond the blocks this node stores, checked as headers only — proof of
/// work, the retarget rule's target, time after the median of the last 11, not too far in the
/// future, each linking to the one before — and held in memory only: nothing of it is written
/// until its work beats the tip, and then only the blocks it names are fetched (Bitcoin Core's
/// headers-first sync). Its bytes are charged to a <see cref="HeaderBudget"/> shared by every
/// sync of the node, so branches that never show more work cost bounded memory.
/// Not thread-safe: one sync owns it; <see cref="Extend"/> runs under the node's state lock.
/// </summary>
public sealed class HeaderBranch(HeaderBudget budget) : IDisposable
{
    /// <summary>
    /// What one header of a branch is charged: the memory it keeps alive — the header as decoded
    /// (88 bytes of fields, its cached hash, object header), its index entry (hash, links, work as
    /// a BigInteger, room for a filter header) and a list slot — measured at 496 bytes on .NET 10
    /// x64 by HeaderMemoryTests.A_branch_header_keeps_no_more_memory_alive_than_the_bytes_it_is_charged,
    /// which fails if it ever exceeds this.
    /// </summary>
    public const int BytesPerHeader = 576;

    private readonly List<BlockIndexEntry> _headers = [];
    private BlockIndexEntry? _base;

    /// <summary>The headers after the last stored block, oldest first (none of them stored).</summary>
    public IReadOnlyList<BlockIndexEntry> Headers => _headers;

    /// <summary>The newest header of the branch, or the stored block it grows from.</summary>
    public BlockIndexEntry? Last => _headers.Count > 0 ? _headers[^1] : _base;

    public long Bytes => (long)_headers.Count * BytesPerHeader;

    /// <summary>Whether the branch's tip carries strictly more work than <paramref name="tip"/> (first seen wins ties).</summary>
    public bool HasMoreWorkThan(BlockIndexEntry tip)
    {
        ArgumentNullException.ThrowIfNull(tip);
        return Last is { } last && last.ChainWork > tip.ChainWork;
    }

    /// <summary>
    /// Checks <paramref name="headers"/> (oldest first) against the chain and appends them. A
    /// header may link to the branch's newest, to an earlier one of the branch (the peer's chain
    /// moved: the branch is cut back there), or to any stored block that is not invalid (the
    /// branch starts again from it); one already stored moves the branch's start forward.
    /// </summary>
    public HeadersOutcome Extend(IHeaderChain chain, IReadOnlyList<BlockHeader> headers, ulong nowMs)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(headers);
        var parameters = chain.Parameters;
        for (var i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            var parent = Attach(chain, header.PreviousHash);
            if (parent is null)
            {
                return new HeadersOutcome(HeaderVerdict.NotConnected, RejectReasons.HeadersNotConnected, $"Header {header.Hash} builds on {header.PreviousHash}, which is neither stored here nor the header before it.");
            }
            if (parent.Status == BlockStatus.Invalid)
            {
                return Invalid(RejectReasons.BlockInvalidParent, $"Header {header.Hash} builds on invalid block {parent.Hash}.");
            }
            if (chain.Find(header.Hash) is { } stored)
            {
                if (stored.Status == BlockStatus.Invalid)
                {
                    return Invalid(stored.InvalidReason.Length > 0 ? stored.InvalidReason : RejectReasons.BlockInvalidParent, $"Block {header.Hash} is known to be invalid.");
                }
                StartFrom(stored);
                continue;
            }
            if (chain.RejectedReason(header.Hash) is { } rejected)
            {
                return Invalid(rejected, $"Block {header.Hash} was already rejected ({rejected}).");
            }
            try
            {
                BlockRules.CheckProofOfWork(header, parameters);
            }
            catch (ConsensusException ex)
            {
                return Invalid(ex.Reason, ex.Message);
            }
            var expectedBits = chain.NextBits(parent);
            if (header.Bits != expectedBits)
            {
                return Invalid(RejectReasons.BlockBadTarget, $"Header {header.Hash} has target bits 0x{header.Bits:x8}; the retarget rule gives 0x{expectedBits:x8} at height {parent.Height + 1}.");
            }
            var median = chain.MedianTimePast(parent);
            if (header.TimeMs <= median)
            {
                return Invalid(RejectReasons.BlockTimeTooOld, $"Header {header.Hash} has time {header.TimeMs}, not after the median time of the blocks before it ({median}).");
            }
            if (header.TimeMs > nowMs + (ulong)parameters.MaxFutureBlockTime.TotalMilliseconds)
            {
                return new HeadersOutcome(HeaderVerdict.TimeFuture, RejectReasons.BlockTimeTooNew, $"Header {header.Hash} is more than {parameters.MaxFutureBlockTime.TotalSeconds} s in the future.");
            }
            if (Bytes + BytesPerHeader > budget.MaxBytesPerBranch || !budget.TryTake(BytesPerHeader))
            {
                return new HeadersOutcome(HeaderVerdict.TooLong, Detail: $"The branch holds {_headers.Count} headers ({Bytes / 1024} KiB) (at most {budget.MaxBytesPerBranch / 1024} KiB a branch, {budget.MaxBytes / 1024} KiB for every sync at once), and has not shown more work than the tip.");
            }
            _headers.Add(new BlockIndexEntry(header, parent.Height + 1, parent, sequence: -1));
        }
        return new HeadersOutcome(HeaderVerdict.Extended);
    }

    /// <summary>The hashes of the branch's blocks this node does not store yet, oldest first.</summary>
    public List<Hash256> MissingBlocks(IHeaderChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return [.. _headers.Where(h => chain.Find(h.Hash) is null).Select(h => h.Hash)];
    }

    /// <summary>After a download: the leading headers whose blocks are now stored leave the branch, which then grows from the last of them.</summary>
    public void DropStored(IHeaderChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var stored = 0;
        while (stored < _headers.Count && chain.Find(_headers[stored].Hash) is not null)
        {
            stored++;
        }
        if (stored > 0)
        {
            var last = chain.Find(_headers[stored - 1].Hash)!;
            _headers.RemoveRange(0, stored);
            budget.Give(stored * BytesPerHeader);
            _base = last;
            // The remaining headers still link to the header-only entry of that block: same header, same work.
        }
    }

    /// <summary>Where a header with this parent joins: the branch's newest, an earlier header of it (cut back to there), or a stored block.</summary>
    private BlockIndexEntry? Attach(IHeaderChain chain, Hash256 previous)
    {
        if (Last is { } last && last.Hash == previous)
        {
            return last;
        }
        var index = _headers.FindLastIndex(h => h.Hash == previous);
        if (index >= 0)
        {
            budget.Give((long)(_headers.Count - index - 1) * BytesPerHeader);
            _headers.RemoveRange(index + 1, _headers.Count - index - 1);
            return _headers[index];
        }
        if (chain.Find(previous) is { } stored)
        {
            StartFrom(stored);
            return stored;
        }
        return null;
    }

    private void StartFrom(BlockIndexEntry stored)
    {
        Clear();
        _base = stored;
    }

    private void Clear()
    {
        budget.Give(Bytes);
        _headers.Clear();
    }

    private static HeadersOutcome Invalid(string reason, string detail) => new(HeaderVerdict.Invalid, reason, detail);

    public void Dispose() => Clear();
}

/// <summary>The bytes the header syncs of one node may hold (<see cref="HeaderBranch"/>): all at once, and one branch; shared and thread-safe.</summary>
public sealed class HeaderBudget(long maxBytes, long maxBytesPerBranch)
{
    private long _used;

    public long MaxBytes { get; } = maxBytes;
    public long MaxBytesPerBranch { get; } = maxBytesPerBranch;
    public long UsedBytes => Interlocked.Read(ref _used);

    public bool TryTake(long bytes)
    {
        if (Interlocked.Add(ref _used, bytes) <= MaxBytes)
        {
            return true;
        }
        Interlocked.Add(ref _used, -bytes);
        return false;
    }

    public void Give(long bytes) => Interlocked.Add(ref _used, -bytes);
}
