using LedgerContrast.Contrast.Report;
using LedgerContrast.Contrast.Scenarios;
using LedgerContrast.TestSupport;

namespace LedgerContrast.Contrast.Tests.Report;

/// <summary>
/// The report as a classroom projects it: rendered by a real browser (headless Chromium, which
/// .ci/run installs) in a 1280×720 window, it must not scroll sideways — a long partition's
/// tree, the curves and the latency chart included.
/// </summary>
public sealed class ReportInBrowserTests : IDisposable
{
    private readonly string _directory = TempDirectory.NewPath("lc-report-");

    [Fact]
    public async Task The_report_fits_a_1280_pixel_window_without_scrolling_sideways()
    {
        var results = EveryKindOfFigure();
        ContrastReport.Write(_directory, results, ContrastReport.Rows(results, 12, "mesh"));
        var page = Path.Combine(_directory, "measured.html");
        // The page's own width, as the browser laid it out, written where --dump-dom shows it.
        var html = await File.ReadAllTextAsync(Path.Combine(_directory, "report.html"));
        await File.WriteAllTextAsync(page, html.Replace("</body>",
            "<script>document.title='width:'+document.documentElement.scrollWidth+'/'+document.documentElement.clientWidth+'/'+[...document.querySelectorAll('figure')].filter(f=>f.scrollWidth>f.clientWidth).length</script></body>", StringComparison.Ordinal));

        var dom = await ChromiumAsync("--dump-dom", new Uri(page).AbsoluteUri);
        await ChromiumAsync($"--screenshot={Path.Combine(_directory, "report.png")}", new Uri(Path.Combine(_directory, "report.html")).AbsoluteUri);

        var title = dom[(dom.IndexOf("<title>width:", StringComparison.Ordinal) + "<title>width:".Length)..];
        var widths = title[..title.IndexOf('<', StringComparison.Ordinal)].Split('/').Select(int.Parse).ToArray();
        Assert.True(widths[0] <= widths[1], $"the page is {widths[0]} px wide in a {widths[1]} px window: it scrolls sideways");
        Assert.True(widths[1] is > 1200 and <= 1280, $"the window was {widths[1]} px wide");
        Assert.True(widths[2] == 0, $"{widths[2]} figure(s) scroll sideways inside the page");
        Assert.True(new FileInfo(Path.Combine(_directory, "report.png")).Length > 10_000, "no screenshot was taken");
    }

    private static List<ScenarioResult> EveryKindOfFigure()
    {
        var partition = new ScenarioResult("partition");
        partition.BlockTree.AddRange(ContrastReportTests.LongPartitionTree());
        partition.Verdicts.Add(new Verdict("Finality", "final at commit: bob's payment e-1234 can never be undone by a partition", "probabilistic: bob's payment had 3 confirmations on the minority, then the majority's heavier branch reversed it (12 blocks reorganised)"));
        partition.Steps.Add("12.3 s — chain: minority: pay bob 0123456789ab; waiting for 3 confirmations");
        partition.Latencies.Add(new LatencySeries("bank", "transfer, final", 2.5, 40, Samples: 5000));
        partition.Latencies.Add(new LatencySeries("chain", "payment, 3 confirmations", 9_000, 31_000, "first", "k-th"));
        var scale = new ScenarioResult("scale");
        scale.Curves.Add(new Curve("bank", "Bank: transfers/s as clients grow", "concurrent clients", "transfers/s", [new CurveSeries("transfers/s", [[1, 400], [4, 1500], [16, 4200], [64, 5100]])]));
        scale.Curves.Add(new Curve("chain", "Chain: block arrival behind its miner as nodes grow", "nodes", "ms", [new CurveSeries("p50", [[3, 3], [6, 9], [12, 20]]), new CurveSeries("p90", [[3, 6], [6, 20], [12, 44]])]));
        scale.Verdicts.Add(new Verdict("Scalability", "400 → 5100 transfers/s from 1 to 64 concurrent clients", "3 → 12 nodes: a block reached a node p90 6 → 44 ms after its miner"));
        var forks = new ScenarioResult("forks");
        forks.Curves.Add(new Curve("chain", "Chain: stale blocks as the block interval shrinks (100 ms links)", "mean block interval (s)", "% of blocks mined that went stale", [new CurveSeries("stale %", [[0.5, 20], [1, 9], [2, 4], [5, 1]])]));
        forks.Verdicts.Add(new Verdict("Forks and stale blocks", "none by construction", "forks are normal"));
        return [partition, scale, forks];
    }

    private async Task<string> ChromiumAsync(params string[] args)
    {
        var browser = ExternalProcess.FindOnPath("install Debian's chromium (.ci/run does)", "chromium", "chromium-browser", "google-chrome");
        var run = await ExternalProcess.RunAsync(browser,
            ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,720", $"--user-data-dir={Path.Combine(_directory, "profile")}", .. args],
            timeout: TimeSpan.FromSeconds(90));
        Assert.True(run.ExitCode == 0, $"chromium exited {run.ExitCode}: {run.Stderr}");
        return run.Stdout;
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
