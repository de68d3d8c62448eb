using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace LedgerContrast.Shared.Rpc;

/// <summary>
/// Counts what a client downloads: the encoded size of every unary reply that arrives through it
/// (protobuf message bytes; gRPC's 5-byte message prefix and HTTP/2 headers and frames are not
/// counted). A light wallet reports it beside a full node's bytes.
/// </summary>
public sealed class ReceivedBytes : Interceptor
{
    private long _bytes;

    /// <summary>Message bytes received so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var call = continuation(request, context);
        return new AsyncUnaryCall<TResponse>(CountAsync(call.ResponseAsync), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private async Task<TResponse> CountAsync<TResponse>(Task<TResponse> response)
    {
        var reply = await response.ConfigureAwait(false);
        if (reply is IMessage message)
        {
            Interlocked.Add(ref _bytes, message.CalculateSize());
        }
        return reply;
    }
}
