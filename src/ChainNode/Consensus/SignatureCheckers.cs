using System.Runtime.ExceptionServices;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>
/// Threads of their own for a block's signature checks (Bitcoin Core's CCheckQueue and its
/// -par threads): the caller and one thread per other core take checks in turn until none is
/// left. Not the thread pool: a block is connected under the node's state lock, and while it is,
/// every pool thread may be blocked waiting for that lock (peers' transactions being admitted,
/// queries being answered) — checks queued to the pool would then wait for threads that wait for
/// the block, and the node stood still for half a minute until the pool had grown past them.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Its threads wait for work for as long as the process lives: one instance per process, never disposed.")]
public sealed class SignatureCheckers
{
    /// <summary>One per process, as the cores are.</summary>
    public static SignatureCheckers Shared { get; } = new(Environment.ProcessorCount - 1);

    private readonly int _workers;
    private readonly Lock _running = new();
    private readonly SemaphoreSlim _start = new(0);
    private Batch? _batch;

    public SignatureCheckers(int workers)
    {
        _workers = Math.Max(0, workers);
        for (var i = 0; i < _workers; i++)
        {
            new Thread(Work) { IsBackground = true, Name = $"sigcheck-{i + 1}" }.Start();
        }
    }

    /// <summary>
    /// Calls <paramref name="check"/> for every index below <paramref name="count"/>, on the caller
    /// and the checkers' threads, until one returns false or throws; returns when every call has
    /// returned, and throws the first exception thrown. When another caller is using them
    /// (several nodes in one process), this one checks alone.
    /// </summary>
    public void Run(int count, Func<int, bool> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (count <= 0)
        {
            return;
        }
        if (_workers == 0 || count == 1 || !_running.TryEnter())
        {
            var alone = new Batch(count, check);
            alone.Work();
            alone.Rethrow();
            return;
        }
        try
        {
            using var done = new CountdownEvent(_workers);
            var batch = new Batch(count, check, done);
            Volatile.Write(ref _batch, batch);
            _start.Release(_workers);
            batch.Work();
            done.Wait();
            batch.Rethrow();
        }
        finally
        {
            _running.Exit();
        }
    }

    private void Work()
    {
        while (true)
        {
            _start.Wait();
            var batch = Volatile.Read(ref _batch)!;
            batch.Work();
            batch.Done!.Signal();
        }
    }

    /// <param name="done">Signalled by each worker thread when it has no check left; null when the caller checks alone.</param>
    private sealed class Batch(int count, Func<int, bool> check, CountdownEvent? done = null)
    {
        private int _next = -1;
        private volatile bool _stopped;
        private ExceptionDispatchInfo? _failure;

        public CountdownEvent? Done => done;

        public void Work()
        {
            while (!_stopped)
            {
                var index = Interlocked.Increment(ref _next);
                if (index >= count)
                {
                    return;
                }
                try
                {
                    if (!check(index))
                    {
                        _stopped = true;
                    }
                }
#pragma warning disable CA1031 // Handed to the caller, whatever it is.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(ex), null);
                    _stopped = true;
                }
            }
        }

        public void Rethrow() => _failure?.Throw();
    }
}
