using System.Diagnostics;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// One live line per step, on stderr (so `--json` output on stdout stays one clean document),
/// and in the network's step journal, where `contrast watch` shows the running experiment.
/// </summary>
/// <param name="log">Where the live lines go (default: stderr).</param>
public sealed class Progress(string scenario, TextWriter? log = null)
{
    private readonly TextWriter _log = log ?? Console.Error;
    private static readonly Lock s_journalLock = new();
    private static string? s_journal;

    /// <summary>The file every step of this process is appended to (beside network.json): what the live view tails.</summary>
    public static string? Journal
    {
        get => s_journal;
        set => s_journal = value;
    }

    /// <summary>
    /// The file this process's experiments append the refusals they caused to (beside network.json):
    /// the live view's Refusals list shows them beside those of its own controls.
    /// </summary>
    public static string? RefusalJournal { get; set; }

    /// <summary>
    /// Tells the live view a server refused <paramref name="count"/> of the experiment's requests with
    /// <paramref name="reason"/>: one line, "time, system, reason, what" separated by tabs.
    /// </summary>
    public void Refused(string system, string reason, string what, int count = 1)
    {
        if (RefusalJournal is not { } journal || count <= 0)
        {
            return;
        }
        var line = string.Join('\t', DateTime.Now.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), system,
            reason, $"[{scenario}] {(count == 1 ? "" : $"{count}× ")}{what}".ReplaceLineEndings(" ").Replace('\t', ' '));
        try
        {
            lock (s_journalLock)
            {
                File.AppendAllText(journal, line + "\n");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // the live view misses a refusal; the experiment goes on
        }
    }

    /// <summary>The last <paramref name="count"/> lines of a step journal, oldest first.</summary>
    public static IReadOnlyList<string> Tail(string journal, int count)
    {
        try
        {
            lock (s_journalLock)
            {
                return File.Exists(journal) ? [.. File.ReadLines(journal).TakeLast(count)] : [];
            }
        }
        catch (IOException)
        {
            return [];
        }
    }

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _steps = [];

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Every step so far, with its time: the story of the experiment, told in the report.</summary>
    public IReadOnlyList<string> Steps
    {
        get
        {
            lock (_steps)
            {
                return [.. _steps];
            }
        }
    }

    public void Step(string text)
    {
        var seconds = _clock.Elapsed.TotalSeconds;
        lock (_steps)
        {
            _steps.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seconds:F1} s — {text}"));
        }
        _log.WriteLine($"[{scenario,-12} {seconds,6:F1}s] {text}");
        if (s_journal is { } journal)
        {
            try
            {
                lock (s_journalLock)
                {
                    File.AppendAllText(journal, $"{DateTime.Now:HH:mm:ss} [{scenario}] {text.ReplaceLineEndings(" ")}\n");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // the live view misses a line; the experiment goes on
            }
        }
    }

    /// <summary>
    /// Polls every 100 ms until <paramref name="done"/> holds, or fails saying what never
    /// happened. A long wait is never silent: every 10 s a line says what is awaited, for how
    /// long, and (with <paramref name="describe"/>) what is seen meanwhile, e.g. each side's height.
    /// </summary>
    public async Task UntilAsync(string what, Func<Task<bool>> done, TimeSpan timeout, Func<Task<string>>? describe = null)
    {
        ArgumentNullException.ThrowIfNull(done);
        var deadline = Stopwatch.StartNew();
        var nextWord = TimeSpan.FromSeconds(10);
        while (!await done().ConfigureAwait(false))
        {
            if (deadline.Elapsed > timeout)
            {
                var state = describe is null ? "" : " Last seen: " + await describe().ConfigureAwait(false);
                throw new TimeoutException($"{scenario}: {what} did not happen within {timeout.TotalSeconds:F0} s.{state}");
            }
            if (deadline.Elapsed > nextWord)
            {
                var seen = describe is null ? "" : "; " + await describe().ConfigureAwait(false);
                _log.WriteLine($"[{scenario,-12} {_clock.Elapsed.TotalSeconds,6:F1}s]   … waiting for {what} ({deadline.Elapsed.TotalSeconds:F0} s{seen})");
                nextWord += TimeSpan.FromSeconds(10);
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
    }
}
