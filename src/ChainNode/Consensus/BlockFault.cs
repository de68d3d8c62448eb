namespace LedgerContrast.ChainNode.Consensus;

/// <summary>
/// Whose fault a refused block is (Bitcoin Core's BlockValidationResult). Punishment
/// (<see cref="ConsensusException.ProvesMisbehaviour"/>) and caching (<see cref="BlockFaults.MayCacheHash"/>)
/// decide by it, each in one switch with no default arm, so a new kind of fault cannot be left unhandled.
/// </summary>
public enum BlockFault
{
    /// <summary>Not a block refusal.</summary>
    None,

    /// <summary>
    /// The body does not match the header (merkle root, or a duplicated transaction that leaves
    /// the root unchanged). The sender's fault, not the block's: the real block with this header
    /// may be valid, so the hash is never cached; the sender is punished and others are asked.
    /// </summary>
    Mutated,

    /// <summary>The block itself breaks a rule: safe to remember by hash; whoever sends it is punished.</summary>
    Invalid,

    /// <summary>It builds on a block known to be invalid: cached and punished like <see cref="Invalid"/>.</summary>
    InvalidParent,

    /// <summary>Its time is too far ahead of our clock: nobody's fault yet; never cached, accepted once the clock catches up.</summary>
    TimeFuture,

    /// <summary>It forks too deep below our tip to ever win: maybe valid, not worth storing; never cached, not punished.</summary>
    TooLittleWork,
}

public static class BlockFaults
{
    public static BlockFault Of(string reason) => reason switch
    {
        RejectReasons.BlockBadMerkleRoot or RejectReasons.BlockDuplicateTransaction => BlockFault.Mutated,
        RejectReasons.BlockTimeTooNew => BlockFault.TimeFuture,
        RejectReasons.BlockInsufficientWork => BlockFault.TooLittleWork,
        RejectReasons.BlockInvalidParent => BlockFault.InvalidParent,
        _ when reason.StartsWith("BLOCK_", StringComparison.Ordinal) => BlockFault.Invalid,
        _ => BlockFault.None,
    };

    /// <summary>Whether a block refused for this fault may be remembered by its hash.</summary>
    public static bool MayCacheHash(BlockFault fault) => fault switch
    {
        BlockFault.Invalid or BlockFault.InvalidParent => true,
        BlockFault.Mutated or BlockFault.TimeFuture or BlockFault.TooLittleWork or BlockFault.None => false,
    };
}
