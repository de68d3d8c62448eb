using Grpc.Core;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.ChainNode.Api;

/// <summary>The gRPC status each of the node's refusals travels with: mapped here, at the API edge, once.</summary>
public static class NodeStatuses
{
    /// <summary>
    /// A rule broken: FAILED_PRECONDITION when it depends on this node's state (pool, chain, clock,
    /// policy) and may not hold elsewhere or later, INVALID_ARGUMENT when it breaks wherever it is
    /// checked; the node's own refusals as <see cref="NodeReasons.Statuses"/> lists them.
    /// </summary>
    public static StatusCode Of(ReasonedException refusal) => refusal switch
    {
        ConsensusException rule => rule.DependsOnReceiver ? StatusCode.FailedPrecondition : StatusCode.InvalidArgument,
        null => StatusCode.Internal,
        _ => NodeReasons.Statuses.TryGetValue(refusal.Reason, out var status) ? status : StatusCode.Internal,
    };
}
