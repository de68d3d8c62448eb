using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>
/// A rule a block or transaction broke. <see cref="Reason"/> is stable and machine-readable
/// (docs/PROTOCOL.md §8 lists them); peers that send such data are banned for it.
/// </summary>
public sealed class ConsensusException(string reason, string message, IReadOnlyDictionary<string, string>? details = null)
    : ReasonedException(reason, message, details)
{
    /// <summary>
    /// For a refused block: whose fault it is, which decides whether its hash may be cached and
    /// whether its sender is punished. A transaction refused inside a block is the block's fault
    /// (<see cref="BlockFault.Invalid"/>) even when the same refusal in mempool relay is only a race.
    /// </summary>
    public BlockFault Fault { get; init; } = BlockFaults.Of(reason);

    /// <summary>
    /// A transaction refusal about timing or this node's policy — late, early, conflicting, a
    /// duplicate, too cheap here — rather than about the transaction's validity.
    /// </summary>
    private bool IsAboutThisNodesState => Reason is RejectReasons.MempoolConflict or RejectReasons.MempoolFull or RejectReasons.MempoolFeeTooLow
        or RejectReasons.TxAlreadyKnown or RejectReasons.TxAlreadyConfirmed or RejectReasons.TxMissingInput or RejectReasons.TxInputSpent
        or RejectReasons.TxImmatureCoinbaseSpend;

    /// <summary>
    /// A refusal that depends on the receiver's state — its pool, its chain, its clock, its
    /// policy — and may not hold elsewhere or later, as opposed to data that breaks a rule wherever
    /// it is checked (the API answers FAILED_PRECONDITION and INVALID_ARGUMENT).
    /// </summary>
    public bool DependsOnReceiver =>
        IsAboutThisNodesState || Reason is RejectReasons.BlockTimeTooNew or RejectReasons.BlockInsufficientWork;

    /// <summary>
    /// Data that no honest node would relay (as opposed to data that is merely late, early or
    /// already known): its sender gets banned. The one punishment decision (Bitcoin Core's
    /// MaybePunishNodeForBlock), a switch over whose fault it is with no default arm.
    /// </summary>
    public bool ProvesMisbehaviour => Fault switch
    {
        // The node is providing invalid data: a body that does not match its header, or a block
        // that breaks a rule (or builds on one that does).
        BlockFault.Mutated or BlockFault.Invalid or BlockFault.InvalidParent => true,
        // Nobody's fault yet: the block may be valid once our clock catches up, or on a branch
        // that is valid but too far behind to be worth storing.
        BlockFault.TimeFuture or BlockFault.TooLittleWork => false,
        // Not a block: a transaction refusal, where late, early or conflicting is not invalid.
        BlockFault.None => !IsAboutThisNodesState,
    };
}
