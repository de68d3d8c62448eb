using System.Numerics;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Consensus;

public enum BlockStatus
{
    /// <summary>Stored, proof of work and body checked, not (or no longer) part of the active chain.</summary>
    Stored = 0,

    /// <summary>Connected to the active chain at least once: every rule checked.</summary>
    Valid = 1,

    /// <summary>Broke a rule, or descends from a block that did.</summary>
    Invalid = 2,
}

/// <summary>A node of the block tree: header, height and the cumulative work that fork choice compares.</summary>
public sealed class BlockIndexEntry(BlockHeader header, uint height, BlockIndexEntry? parent, long sequence)
{
    public Hash256 Hash { get; } = header.Hash;
    public BlockHeader Header { get; } = header;
    public uint Height { get; } = height;
    public BlockIndexEntry? Parent { get; } = parent;
    public BigInteger ChainWork { get; } = (parent?.ChainWork ?? BigInteger.Zero) + Target.Work(header.Bits);

    /// <summary>Order first seen: on equal work the earlier tip wins.</summary>
    public long Sequence { get; } = sequence;
    public BlockStatus Status { get; set; }
    public string InvalidReason { get; set; } = "";
    public int Children { get; set; }

    /// <summary>
    /// Its compact filter's header (PROTOCOL.md §9), set once it has been connected: SHA256d(its
    /// filter's hash || its parent's filter header). It follows from its ancestry alone, so it stays right off the active chain.
    /// </summary>
    public Hash256? FilterHeader { get; set; }

    /// <summary>
    /// When this process stored the block (Unix ms), 0 for blocks loaded from disk: on one machine
    /// the nodes share a clock, so the lab measures propagation from these (GetBlock received_ms).
    /// </summary>
    public ulong ReceivedMs { get; init; }

    public BlockIndexEntry? Ancestor(uint height)
    {
        var entry = this;
        while (entry is not null && entry.Height > height)
        {
            entry = entry.Parent;
        }
        return entry;
    }

    public override string ToString() => $"{Hash} @{Height}";
}
