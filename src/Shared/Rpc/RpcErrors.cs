using Google.Protobuf;
using Grpc.Core;
using LedgerContrast.Protos.Common.V1;

namespace LedgerContrast.Shared.Rpc;

/// <summary>
/// One way to refuse a call: a gRPC status plus an <see cref="ErrorDetail"/> carrying a stable
/// reason, so clients branch on the reason, not on text. The detail travels twice: as itself in
/// the <c>lc-error-bin</c> trailer (the simplest thing for a client to read), and packed in a
/// standard <c>google.rpc.Status</c> in <c>grpc-status-details-bin</c>, which gRPC tooling
/// (grpcurl, other languages' richer-error helpers) decodes with the descriptor that server
/// reflection serves.
/// </summary>
public static class RpcErrors
{
    public const string TrailerKey = "lc-error-bin";
    public const string StandardTrailerKey = "grpc-status-details-bin";

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
        var text = $"{reason}: {message}";
        var standard = new Google.Rpc.Status { Code = (int)code, Message = text, Details = { Google.Protobuf.WellKnownTypes.Any.Pack(detail) } };
        var trailers = new Metadata { { TrailerKey, detail.ToByteArray() }, { StandardTrailerKey, standard.ToByteArray() } };
        return new RpcException(new Status(code, text), trailers);
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
