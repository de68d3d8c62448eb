using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.Shared.Rpc;

/// <summary>
/// Every server's last word on a failed call: a refusal becomes its status and stable reason,
/// malformed input becomes INVALID_ARGUMENT with reason MALFORMED, anything unexpected becomes
/// INTERNAL with one plain sentence. No stack trace ever reaches a client.
/// </summary>
/// <param name="statusOf">The server's map from its refusals to gRPC statuses (its API edge).</param>
public sealed partial class ErrorInterceptor(ILogger<ErrorInterceptor> logger, Func<ReasonedException, StatusCode> statusOf) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (ReasonedException refused)
        {
            throw RpcErrors.Create(statusOf(refused), refused.Reason, refused.Message, refused.Details);
        }
        catch (FormatException malformed)
        {
            throw RpcErrors.Create(StatusCode.InvalidArgument, "MALFORMED", malformed.Message);
        }
        catch (RpcException)
        {
            throw;
        }
#pragma warning disable CA1031 // The last line of defence: log it, answer INTERNAL, keep serving.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnexpected(logger, context?.Method ?? "?", ex);
            throw RpcErrors.Create(StatusCode.Internal, "INTERNAL", "The server hit an unexpected error; nothing was changed.");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure in {Method}")]
    private static partial void LogUnexpected(ILogger logger, string method, Exception exception);
}
