using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace LedgerContrast.Shared.Rpc;

/// <summary>
/// A client's view of a replicated server: unary calls go to the replica believed to lead; a
/// NOT_LEADER answer moves them to the leader it names (metadata <c>leader</c>), and — when several
/// replicas are listed — an unreachable or dying replica moves them to the next, until the call's
/// deadline. A call is sent again after an ambiguous failure (the server may have acted on it)
/// only if sending it twice is safe: it carries a non-empty <c>idempotency_key</c>, or it only
/// reads (its method's name begins with Get). Anything else is retried only when it surely never
/// reached a leader: NOT_LEADER, or a connection refused.
/// </summary>
public sealed class FailoverInvoker : CallInvoker, IDisposable
{
    public const string NotLeader = "NOT_LEADER";
    public const string LeaderChanged = "LEADER_CHANGED";

    /// <summary>How long a call may keep looking for a leader when its caller set no deadline.</summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(10);

    /// <summary>One attempt of a retryable call waits at most this long (a paused leader accepts, then never answers).</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);

    private readonly List<string> _urls;
    private readonly Dictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly GrpcChannelOptions? _channelOptions;
    private int _current;

    /// <param name="channelOptions">For every replica's channel (e.g. a shorter reconnect backoff); gRPC's defaults if null.</param>
    public FailoverInvoker(IEnumerable<string> urls, GrpcChannelOptions? channelOptions = null)
    {
        ArgumentNullException.ThrowIfNull(urls);
        _channelOptions = channelOptions;
        _urls = urls.ToList();
        if (_urls.Count == 0)
        {
            throw new ArgumentException("Give at least one server.", nameof(urls));
        }
    }

    /// <summary>The replica calls go to now (the leader, once one answered).</summary>
    public string Current
    {
        get
        {
            lock (_lock)
            {
                return _urls[_current];
            }
        }
    }

    /// <summary>Calls that moved to another replica (a failover or a redirect), for measurements.</summary>
    public long Switches => Interlocked.Read(ref _switches);

    private long _switches;

    private CallInvoker InvokerFor(string url)
    {
        lock (_lock)
        {
            if (!_channels.TryGetValue(url, out var channel))
            {
                channel = _channelOptions is null ? GrpcChannel.ForAddress(url) : GrpcChannel.ForAddress(url, _channelOptions);
                _channels[url] = channel;
            }
            return channel.CreateCallInvoker();
        }
    }

    private void MoveTo(string? leader, string failed)
    {
        lock (_lock)
        {
            if (!string.Equals(_urls[_current], failed, StringComparison.Ordinal))
            {
                return; // another call already moved on
            }
            if (leader is { Length: > 0 })
            {
                var index = _urls.IndexOf(leader);
                if (index < 0)
                {
                    _urls.Add(leader);
                    index = _urls.Count - 1;
                }
                _current = index;
            }
            else
            {
                _current = (_current + 1) % _urls.Count;
            }
            Interlocked.Increment(ref _switches);
        }
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var response = CallAsync(method, host, options, request);
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()),
            () => response.IsCompletedSuccessfully ? Status.DefaultSuccess : new Status(StatusCode.Unknown, ""),
            () => [], () => { });
    }

    private async Task<TResponse> CallAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        where TRequest : class where TResponse : class
    {
        var deadline = options.Deadline ?? DateTime.UtcNow + DefaultBudget;
        var retrySafe = IsRetrySafe(method, request);
        var several = _urls.Count > 1;
        for (var attempt = 1; ; attempt++)
        {
            var url = Current;
            var attemptDeadline = retrySafe && several ? Min(deadline, DateTime.UtcNow + AttemptTimeout) : deadline;
            try
            {
                return await InvokerFor(url).AsyncUnaryCall(method, host, options.WithDeadline(attemptDeadline), request).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (DateTime.UtcNow < deadline && Retry(ex, retrySafe, several) is { } next)
            {
                MoveTo(next.Leader, url);
                var pause = TimeSpan.FromMilliseconds(Math.Min(next.PauseMs, Math.Max(0, (deadline - DateTime.UtcNow).TotalMilliseconds)));
                await Task.Delay(attempt == 1 && next.Leader is not null ? TimeSpan.Zero : pause, options.CancellationToken).ConfigureAwait(false);
            }
        }
    }

    private sealed record Next(string? Leader, int PauseMs);

    private static Next? Retry(RpcException ex, bool retrySafe, bool several)
    {
        var detail = RpcErrors.Describe(ex);
        if (detail.Reason == NotLeader)
        {
            var leader = detail.Metadata.TryGetValue("leader", out var named) ? named : null;
            var pause = detail.Metadata.TryGetValue("retry_after_ms", out var text) && int.TryParse(text, out var ms) ? ms : 50;
            return new Next(leader, pause);
        }
        if (!several)
        {
            return null;
        }
        var refused = ex.StatusCode == StatusCode.Unavailable && !ex.Trailers.Any(t => t.Key == RpcErrors.TrailerKey) && IsConnectionRefused(ex);
        if (refused)
        {
            return new Next(null, 20);
        }
        var ambiguous = ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Cancelled
            || detail.Reason == LeaderChanged;
        return ambiguous && retrySafe ? new Next(null, 20) : null;
    }

    private static bool IsConnectionRefused(RpcException ex)
    {
        for (Exception? inner = ex.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsRetrySafe<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request)
    {
        if (method.Name.StartsWith("Get", StringComparison.Ordinal))
        {
            return true;
        }
        return request is IMessage message
            && message.Descriptor.FindFieldByName("idempotency_key") is { } field
            && field.Accessor.GetValue(message) is string { Length: > 0 };
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        AsyncUnaryCall(method, host, options, request).ResponseAsync.GetAwaiter().GetResult();

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        InvokerFor(Current).AsyncServerStreamingCall(method, host, options, request);

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        InvokerFor(Current).AsyncClientStreamingCall(method, host, options);

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        InvokerFor(Current).AsyncDuplexStreamingCall(method, host, options);

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var channel in _channels.Values)
            {
                channel.Dispose();
            }
            _channels.Clear();
        }
    }
}
