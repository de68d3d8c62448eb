using System.Diagnostics;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// A client that keeps sending one request after another (50 ms apart) and logs, for each, when
/// it was sent, when it was answered and the outcome ("ok" or the refusal's reason). What a
/// client lived through during an outage or a restart is read from it afterwards.
/// </summary>
public sealed class RequestLog : IAsyncDisposable
{
    private readonly List<(double SentMs, double DoneMs, string Outcome)> _entries = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="send">One request; returns "ok" or the reason it failed.</param>
    public RequestLog(Func<int, Task<string>> send)
    {
        ArgumentNullException.ThrowIfNull(send);
        _loop = Task.Run(async () =>
        {
            for (var n = 0; !_stop.IsCancellationRequested; n++)
            {
                var sent = Now;
                var outcome = await send(n).ConfigureAwait(false);
                lock (_entries)
                {
                    _entries.Add((sent, Now, outcome));
                }
                await Task.Delay(50).ConfigureAwait(false);
            }
        });
    }

    /// <summary>Milliseconds since the log started: the clock every entry is on.</summary>
    public double Now => _clock.Elapsed.TotalMilliseconds;

    public IReadOnlyList<(double SentMs, double DoneMs, string Outcome)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Whether a request sent after <paramref name="sinceMs"/> has succeeded.</summary>
    public bool SucceededSince(double sinceMs) => Entries.Any(e => e.SentMs > sinceMs && e.Outcome == "ok");

    /// <summary>
    /// From <paramref name="sinceMs"/> (e.g. the kill) to the answer of the first request sent
    /// after it that succeeded: a request sent before and answered after says nothing about
    /// whether the server is back.
    /// </summary>
    public double DowntimeSince(double sinceMs) => Entries.Where(e => e.SentMs > sinceMs && e.Outcome == "ok").Min(e => e.DoneMs) - sinceMs;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
