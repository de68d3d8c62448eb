using Grpc.Core;

namespace LedgerContrast.Shared.Rpc;

/// <summary>
/// A refusal with a stable machine-readable reason and the gRPC status it travels with. The
/// servers' <see cref="ErrorInterceptor"/> turns it into a status plus <c>lc-error-bin</c> trailer.
/// </summary>
public abstract class ReasonedException(string reason, string message, IReadOnlyDictionary<string, string>? details) : Exception(message)
{
    public string Reason { get; } = reason;
    public IReadOnlyDictionary<string, string> Details { get; } = details ?? new Dictionary<string, string>();
    public abstract StatusCode StatusCode { get; }
}
