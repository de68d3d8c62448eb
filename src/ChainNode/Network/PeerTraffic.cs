using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace LedgerContrast.ChainNode.Network;

/// <summary>
/// Counts the bytes of gossip per peer, both ways: what "discovery and gossip become the
/// bottleneck" costs, measured (ListPeers shows it). Message bytes, as protobuf encodes them;
/// HTTP/2 framing is not counted.
/// </summary>
public static class PeerTraffic
{
    private static long Size(object message) => message is IMessage protobuf ? protobuf.CalculateSize() : 0;

    /// <summary>On our calls to a peer: the request is sent, the answer received.</summary>
    public sealed class ClientCounter(Peer peer) : Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
            AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            ArgumentNullException.ThrowIfNull(continuation);
            var call = continuation(request, context);
            return new AsyncUnaryCall<TResponse>(CountAsync(request, call.ResponseAsync), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        }

        private async Task<TResponse> CountAsync<TRequest, TResponse>(TRequest request, Task<TResponse> response)
            where TRequest : class
        {
            var answer = await response.ConfigureAwait(false);
            peer.CountTraffic(Size(request), Size(answer!));
            return answer;
        }
    }

    /// <summary>On a peer's calls to us (PeerService, identified by its session): the request is received, the answer sent.</summary>
    public sealed class ServerCounter(PeerManager peers) : Interceptor
    {
        public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        {
            ArgumentNullException.ThrowIfNull(context);
            ArgumentNullException.ThrowIfNull(continuation);
            var response = await continuation(request, context).ConfigureAwait(false);
            if (context.Method.StartsWith(PeerServicePrefix, StringComparison.Ordinal)
                && peers.FindBySession(context.RequestHeaders.GetValue(Peer.SessionHeader)) is { } peer)
            {
                peer.CountTraffic(Size(response), Size(request));
            }
            return response;
        }

        private static readonly string PeerServicePrefix = "/" + Protos.Chain.V1.PeerService.Descriptor.FullName + "/";
    }
}
