using Grpc.Core;
using Grpc.Core.Interceptors;

namespace LedgerContrast.ChainNode.Network;

/// <summary>
/// `--link-latency`: simulated network distance. Every call this node makes to a peer waits this
/// long before it is sent, as if the link were that long one way — so a lab on one machine can
/// show what propagation delay does to forks (stale blocks grow as delay approaches the block
/// interval) at the delays of a real network, not loopback's fraction of a millisecond.
/// Answers are not delayed: the one-way delay is charged once per message.
/// </summary>
public sealed class SimulatedLinkLatency(TimeSpan delay) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var call = SendLaterAsync(request, context, continuation);
        return new AsyncUnaryCall<TResponse>(
            ResponseAsync(call),
            HeadersAsync(call),
            () => call.IsCompletedSuccessfully ? call.Result.GetStatus() : new Status(StatusCode.Cancelled, "not sent yet"),
            () => call.IsCompletedSuccessfully ? call.Result.GetTrailers() : [],
            () =>
            {
                if (call.IsCompletedSuccessfully)
                {
                    call.Result.Dispose();
                }
            });
    }

    private async Task<AsyncUnaryCall<TResponse>> SendLaterAsync<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        where TRequest : class
        where TResponse : class
    {
        await Task.Delay(delay, context.Options.CancellationToken).ConfigureAwait(false);
        return continuation(request, context);
    }

    private static async Task<TResponse> ResponseAsync<TResponse>(Task<AsyncUnaryCall<TResponse>> call) =>
        await (await call.ConfigureAwait(false)).ResponseAsync.ConfigureAwait(false);

    private static async Task<Metadata> HeadersAsync<TResponse>(Task<AsyncUnaryCall<TResponse>> call) =>
        await (await call.ConfigureAwait(false)).ResponseHeadersAsync.ConfigureAwait(false);
}
