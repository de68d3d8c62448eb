using LedgerContrast.Shared.Measurement;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// What a closed-loop load (clients sending one request at a time for a while) saw: the requests
/// that succeeded, how long it ran, every request's latency and when each success completed, from
/// which its rate and that rate's 95% interval come.
/// </summary>
public sealed record LoadResult(long Succeeded, double Seconds, IReadOnlyCollection<double> LatenciesMs, IReadOnlyCollection<double> CompletedAtSeconds)
{
    private RateEstimate? _rate;

    /// <summary>The rate and its interval, computed once (callers read it several times).</summary>
    public RateEstimate Rate => _rate ??= RateEstimate.FromCompletions(CompletedAtSeconds, Seconds);

    public void Deconstruct(out long succeeded, out double seconds, out IReadOnlyCollection<double> latenciesMs)
    {
        succeeded = Succeeded;
        seconds = Seconds;
        latenciesMs = LatenciesMs;
    }

    /// <summary>
    /// <paramref name="clients"/> loops, each sending one request (<paramref name="send"/> with the
    /// client's index and its request number) at a time until <paramref name="duration"/> has passed;
    /// a request that throws RpcException counts as failed.
    /// </summary>
    public static async Task<LoadResult> RunAsync(int clients, TimeSpan duration, Func<int, int, Task> send)
    {
        ArgumentNullException.ThrowIfNull(send);
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var completed = new System.Collections.Concurrent.ConcurrentBag<double>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            for (var n = 0; clock.Elapsed < duration; n++)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    await send(i, n).ConfigureAwait(false);
                    completed.Add(clock.Elapsed.TotalSeconds);
                }
                catch (Grpc.Core.RpcException)
                {
                }
                latencies.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }))).ConfigureAwait(false);
        return new(completed.Count, clock.Elapsed.TotalSeconds, latencies, completed);
    }
}
