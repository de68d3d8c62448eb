using Google.Protobuf;
using Grpc.Core;
using LedgerContrast.Protos.Common.V1;

namespace LedgerContrast.Shared.Rpc;

/// <summary>
/// One way to refuse a call: a gRPC status plus an <see cref="ErrorDetail"/> in the
/// <c>lc-error-bin</c> trailer carrying a stable reason, so clients branch on the reason, not on text.
/// </summary>
public static class RpcErrors
{
    public const string TrailerKey = "lc-error-bin";

    public static RpcException Create(StatusCode code, string reason, string message, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var detail = new ErrorDetail { Reason = reason, Message = message };
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                detail.Metadata[key] = value;
            }
        }
        var trailers = new Metadata { { TrailerKey, detail.ToByteArray() } };
        return new RpcException(new Status(code, $"{reason}: {message}"), trailers);
    }

    /// <summary>The detail a server attached, or one made from the bare status (e.g. an unreachable server).</summary>
    public static ErrorDetail Describe(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var entry = exception.Trailers.Get(TrailerKey);
        if (entry is { IsBinary: true })
        {
            try
            {
                return ErrorDetail.Parser.ParseFrom(entry.ValueBytes);
            }
            catch (Google.Protobuf.InvalidProtocolBufferException)
            {
                // Fall through: a garbled trailer is described like a bare status.
            }
        }
        return exception.StatusCode switch
        {
            StatusCode.Unavailable => new ErrorDetail { Reason = "UNAVAILABLE", Message = "The server cannot be reached." },
            StatusCode.DeadlineExceeded => new ErrorDetail { Reason = "DEADLINE_EXCEEDED", Message = "The server did not answer in time." },
            _ => new ErrorDetail { Reason = exception.StatusCode.ToString().ToUpperInvariant(), Message = exception.Status.Detail },
        };
    }
}
