namespace LedgerContrast.Shared.Rpc;

/// <summary>
/// A refusal with a stable machine-readable reason. It knows nothing of gRPC: each server's API
/// edge maps its reasons to statuses, once, and the <see cref="ErrorInterceptor"/> it is given
/// that map turns the refusal into a status plus <c>lc-error-bin</c> trailer.
/// </summary>
public abstract class ReasonedException(string reason, string message, IReadOnlyDictionary<string, string>? details) : Exception(message)
{
    public string Reason { get; } = reason;
    public IReadOnlyDictionary<string, string> Details { get; } = details ?? new Dictionary<string, string>();
}
