using Grpc.Core;
using Grpc.Core.Interceptors;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.Shared.Rpc;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.CentralBank.Api;

/// <summary>
/// Turns every refusal into a gRPC status with its stable reason, and any unexpected failure into
/// INTERNAL with one plain sentence: no stack trace ever reaches a client.
/// </summary>
public sealed partial class ErrorInterceptor(ILogger<ErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RejectionException rejected)
        {
            throw RpcErrors.Create(Reasons.StatusOf(rejected.Rejection.Reason), rejected.Rejection.Reason, rejected.Rejection.Message);
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
            throw RpcErrors.Create(StatusCode.Internal, "INTERNAL", "The bank hit an unexpected error; nothing was changed.");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure in {Method}")]
    private static partial void LogUnexpected(ILogger logger, string method, Exception exception);
}
