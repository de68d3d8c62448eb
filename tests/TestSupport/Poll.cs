using System.Diagnostics;

namespace LedgerContrast.TestSupport;

/// <summary>Tests wait for a condition, never for a fixed time: a busy machine only makes them slower.</summary>
public static class Poll
{
    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds, or fails with <paramref name="describe"/> at the deadline.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string>? describe = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Condition not met within {timeout.TotalSeconds} s. {describe?.Invoke()}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Polls an asynchronous <paramref name="condition"/> (a CLI run, a call) until it holds, or fails with <paramref name="describe"/> at the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? describe = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Condition not met within {timeout.TotalSeconds} s. {describe?.Invoke()}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Repeats a call until it succeeds (the server may still be refusing), or rethrows its last failure at the deadline.</summary>
    public static async Task<T> UntilSuccessAsync<T>(Func<Task<T>> call, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(call);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await call();
            }
#pragma warning disable CA1031 // Any failure before the deadline is a reason to try again; the last one is rethrown.
            catch (Exception) when (deadline.Elapsed < timeout)
#pragma warning restore CA1031
            {
                await Task.Delay(50);
            }
        }
    }
}
