using Grpc.Core;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.ChainNode.Api;

/// <summary>
/// Every reason a node's gRPC services answer that is not a consensus or mempool rule
/// (those are <see cref="Consensus.RejectReasons"/>), each with the one status it travels with.
/// docs/PROTOCOL.md §10 lists them all; a test keeps the two in step.
/// </summary>
public static class NodeReasons
{
    // Peer sessions (PeerService)
    public const string NotConnected = "NOT_CONNECTED";
    public const string WrongNetwork = "WRONG_NETWORK";
    public const string WrongVersion = "WRONG_VERSION";
    public const string SelfConnection = "SELF_CONNECTION";
    public const string BadHandshake = "BAD_HANDSHAKE";
    public const string NoListenAddress = "NO_LISTEN_ADDRESS";
    public const string PeerRemoved = "PEER_REMOVED";
    public const string UnknownNonce = "UNKNOWN_NONCE";
    public const string Banned = "BANNED";
    public const string TooManyPeers = "TOO_MANY_PEERS";

    // Node API (NodeService)
    public const string InvalidArgument = "INVALID_ARGUMENT";
    public const string InvalidAddress = "INVALID_ADDRESS";
    public const string BlockNotFound = "BLOCK_NOT_FOUND";
    public const string TxNotConfirmed = "TX_NOT_CONFIRMED";
    public const string BlockInvalid = "BLOCK_INVALID";
    public const string AmbiguousPrefix = "AMBIGUOUS_PREFIX";
    public const string AdminCookieRequired = "ADMIN_COOKIE_REQUIRED";
    public const string AdminCookieWrong = "ADMIN_COOKIE_WRONG";
    public const string NodeStopped = "NODE_STOPPED";

    // Either service, from the shared server code (src/Shared/Rpc)
    public const string Malformed = MalformedRequests.Reason;
    public const string Internal = "INTERNAL";

    public static IReadOnlyDictionary<string, StatusCode> Statuses { get; } = new Dictionary<string, StatusCode>
    {
        [NotConnected] = StatusCode.FailedPrecondition,
        [WrongNetwork] = StatusCode.FailedPrecondition,
        [WrongVersion] = StatusCode.FailedPrecondition,
        [SelfConnection] = StatusCode.FailedPrecondition,
        [BadHandshake] = StatusCode.InvalidArgument,
        [NoListenAddress] = StatusCode.InvalidArgument,
        [PeerRemoved] = StatusCode.PermissionDenied,
        [UnknownNonce] = StatusCode.PermissionDenied,
        [Banned] = StatusCode.PermissionDenied,
        [TooManyPeers] = StatusCode.ResourceExhausted,
        [InvalidArgument] = StatusCode.InvalidArgument,
        [InvalidAddress] = StatusCode.InvalidArgument,
        [BlockNotFound] = StatusCode.NotFound,
        [TxNotConfirmed] = StatusCode.NotFound,
        [BlockInvalid] = StatusCode.NotFound,
        [AmbiguousPrefix] = StatusCode.InvalidArgument,
        [AdminCookieRequired] = StatusCode.Unauthenticated,
        [AdminCookieWrong] = StatusCode.Unauthenticated,
        [NodeStopped] = StatusCode.Unavailable,
        [Malformed] = StatusCode.InvalidArgument,
        [Internal] = StatusCode.Internal,
    };
}
