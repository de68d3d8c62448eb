using Grpc.Core;
using LedgerContrast.Shared.Rpc;
using static LedgerContrast.CentralBank.Ledger.Reasons;

namespace LedgerContrast.CentralBank.Api;

/// <summary>The gRPC status each of the bank's reasons travels with: mapped here, at the API edge, once.</summary>
public static class BankStatuses
{
    public static StatusCode Of(ReasonedException refusal) => refusal?.Reason switch
    {
        InsufficientFunds or AlreadyReversed or NotReversible or ReversalInsufficientFunds
            or IdempotencyKeyReused or BalanceOverflow => StatusCode.FailedPrecondition,
        AccountNotFound or CustomerNotFound or EntryNotFound => StatusCode.NotFound,
        SameAccount or InvalidAmount or InvalidArgument => StatusCode.InvalidArgument,
        Unauthenticated => StatusCode.Unauthenticated,
        PermissionDenied => StatusCode.PermissionDenied,
        ShuttingDown or LedgerStopped or NotLeader or LeaderChanged or ReplicaCorrupt => StatusCode.Unavailable,
        StorageFull or Overloaded => StatusCode.ResourceExhausted,
        _ => StatusCode.Internal,
    };
}
