using System.Text.Json;
using LedgerContrast.TestSupport;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit.Abstractions;

namespace LedgerContrast.Contrast.Tests.EndToEnd;

/// <summary>
/// The live classroom view in a real browser (headless Chromium driven by chromedriver, both
/// Debian's; .ci/run installs them) against a real network from run-network.ps1: the page shows
/// the nodes (run-network.ps1 -Watch starts it, -Stop stops it), blocks arriving, a partition as two branches and its heal orphaning one, a
/// bank double spend refused, and the replicated bank's replicas with who leads — its leader killed and a new one
/// elected, the killed replica restarted and caught up — and a light wallet catching a node that
/// hides its payments beside honest ones, and fooled by it alone — each control pressed on the page.
/// </summary>
public sealed class WatchInBrowserTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(90);
    private readonly string _data = Path.Combine(TempDirectory.NewPath("lc-watch-"), ".network");
    private readonly int _basePort = 18_000 + Random.Shared.Next(0, 40) * 20;

    [Fact]
    public async Task The_live_view_shows_blocks_arriving_a_partition_as_two_branches_a_bank_double_spend_refused_and_a_killed_bank_leader_replaced()
    {
        var start = await RunNetworkScript.RunAsync(_data, "-Nodes", "3", "-BankReplicas", "3", "-BasePort", $"{_basePort}", "-BlockInterval", "1s", "-CoinbaseMaturity", "3", "-Watch");
        Assert.True(start.ExitCode == 0, start.Output);
        var watch = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_data, "network.json"))).RootElement.GetProperty("watch");
        Assert.Contains($"Live view: {watch.GetProperty("url").GetString()}", start.Output, StringComparison.Ordinal);
        try
        {
            using var browser = Chromium();
            browser.Navigate().GoToUrl(watch.GetProperty("url").GetString()!);

            // Every node, serving; then the tallest height grows while we look.
            await Until(() => Rows(browser).Count == 3 && Rows(browser).All(r => r.Text.Contains("serving", StringComparison.Ordinal)), "3 serving nodes", browser);
            var firstHeight = 0u;
            await Until(() => (firstHeight = Height(browser)) > 0, "a height", browser);
            await Until(() => Height(browser) > firstHeight, $"the height to grow past {firstHeight}", browser);
            Screenshot(browser, "live-1-mining.png");

            // node1 | node2,node3: each side mines its own branch, so the nodes' tips differ.
            browser.FindElement(By.Id("partition-nodes")).Clear();
            browser.FindElement(By.Id("partition-nodes")).SendKeys("node1");
            Click(browser, By.Id("partition"));
            await Until(() => Text(browser, "branch-count") == "2", "two branch tips after the partition", browser);
            Screenshot(browser, "live-2-partition.png");

            // The bank decides a double spend at once: one success, one INSUFFICIENT_FUNDS.
            Click(browser, By.Id("double-spend-bank"));
            await Until(() => browser.FindElements(By.CssSelector("#refusals li")).Any(li => li.Text.Contains("INSUFFICIENT_FUNDS", StringComparison.Ordinal))
                && Text(browser, "steps").Contains("1 succeeded, 1 refused (INSUFFICIENT_FUNDS)", StringComparison.Ordinal), "the bank's double spend: one success, one refusal", browser);

            // An experiment in its own process (contrast security) refuses mallory's tries: the page lists
            // those refusals too, and says its journal leaves out the experiment customers' entries.
            var security = await ServerProcess.RunAsync("contrast.dll", ["security", "--network-file", Path.Combine(_data, "network.json")], timeout: TimeSpan.FromMinutes(3));
            Assert.True(security.ExitCode == 0, security.Stdout + security.Stderr);
            await Until(() => browser.FindElements(By.CssSelector("#refusals li")).Count(li => li.Text.Contains("[security]", StringComparison.Ordinal) && li.Text.Contains("UNAUTHENTICATED", StringComparison.Ordinal)) == 2
                && browser.FindElements(By.CssSelector("#refusals li")).Any(li => li.Text.Contains("TX_BAD_SIGNATURE", StringComparison.Ordinal))
                && browser.FindElements(By.CssSelector("#journal tr.elided")).Any(r => r.Text.Contains("of other customers (the experiments') not shown", StringComparison.Ordinal)),
                "the experiment's refusals listed and its customers' entries said to be left out", browser);

            // Heal: one tip again, and the lighter branch greyed as orphaned, drawn from its fork point.
            Click(browser, By.Id("heal"));
            await Until(() => Text(browser, "branch-count") == "1" && browser.FindElements(By.CssSelector("#tree g.block.orphaned")).Count > 0,
                "one tip and an orphaned branch after the heal", browser);
            Screenshot(browser, "live-3-healed.png");
            // Blocks keep coming (1 s): for half a minute, every orphaned block drawn has its fork point drawn, on the active chain
            // (heights between them folded into one column once the fork is older than the window).
            for (var look = System.Diagnostics.Stopwatch.StartNew(); look.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(1_000))
            {
                Assert.True(browser.ExecuteScript(ForkPointsShown) is true, "an orphaned branch is drawn without its fork point: " + browser.FindElement(By.Id("tree")).GetDomProperty("innerHTML"));
            }

            // The replicated bank: three replicas, one leads. Kill the leader from the page: a new
            // one is elected among the other two; restart the killed one and it catches up.
            var killed = "";
            await Until(() => Replicas(browser).Count == 3 && Leaders(browser) is [var leader] && (killed = leader).Length > 0, "3 replicas, one leading", browser);
            Click(browser, By.Id("kill-leader"));
            await Until(() => Down(browser).SequenceEqual([killed]) && Leaders(browser) is [var next] && next != killed,
                $"{killed} down and another replica leading", browser);
            Screenshot(browser, "live-4-new-leader.png", "replicas-panel");
            // The table is re-rendered twice a second: find and click its button in one go, again if it was replaced meanwhile.
            await Until(() =>
            {
                Click(browser, By.CssSelector($"#replicas tr[data-replica='{killed}'] button.restart"));
                return true;
            }, $"the restart button of {killed}", browser);
            await Until(() => Down(browser).Count == 0 && Leaders(browser).Count == 1
                && browser.FindElements(By.CssSelector("#replicas tbody tr")).All(r => r.FindElements(By.TagName("td"))[5].Text == "0"),
                $"{killed} back and caught up (lag 0 everywhere)", browser);
            Assert.Contains($"kill -9 the leader {killed}", Text(browser, "steps"), StringComparison.Ordinal);

            // The hybrid: bob's light wallet (bob mines on node2) syncs from nothing with a node that
            // hides his payments beside two honest ones: the liar is caught and his coins shown; alone
            // with the liar, it shows nothing — SPV's limit, on the page.
            browser.FindElement(By.Id("light-wallet")).Clear();
            browser.FindElement(By.Id("light-wallet")).SendKeys("bob");
            Click(browser, By.CssSelector("#light-lie option[value='hide']"));
            Click(browser, By.Id("light-sync"));
            await Until(() => browser.FindElements(By.CssSelector("#light-asked tbody tr.asked")).Count == 3
                && browser.FindElements(By.CssSelector("#light-asked tbody tr.caught")) is [var liar] && liar.Text.StartsWith("liar: node1 behind a proxy (hide)", StringComparison.Ordinal)
                && Text(browser, "light-shown").Contains("beside node2, node3 (a proxy in front of node1 that hides", StringComparison.Ordinal) && !Text(browser, "light-shown").Contains("showed 0 ", StringComparison.Ordinal),
                "bob's light wallet catching the node that hides his payments", browser);
            Screenshot(browser, "live-5-light-wallet.png", "light-panel");
            Click(browser, By.Id("light-alone"));
            Click(browser, By.Id("light-sync"));
            await Until(() => Text(browser, "light-shown").Contains("over the lying node alone (a proxy", StringComparison.Ordinal) && Text(browser, "light-shown").Contains("showed 0 in 0 coins", StringComparison.Ordinal),
                "bob's light wallet fooled by the liar alone", browser);
            Assert.True(browser.ExecuteScript("return document.documentElement.scrollWidth <= document.documentElement.clientWidth") is true, "the live view scrolls sideways at 1280 px");
            // On a 1280×720 projector, at the top of the page, the controls and the steps are on screen.
            browser.ExecuteScript("window.scrollTo(0, 0)");
            Assert.True(browser.ExecuteScript(OnScreen, "controls-panel") is true && browser.ExecuteScript(OnScreen, "steps-panel") is true,
                $"controls or steps are off screen at 1280×720: {browser.ExecuteScript("return JSON.stringify([innerWidth, innerHeight, document.getElementById('controls-panel').getBoundingClientRect(), document.getElementById('steps-panel').getBoundingClientRect()])")}");
        }
        finally
        {
            var stop = await RunNetworkScript.RunAsync(_data, "-Stop");
            Assert.True(stop.ExitCode == 0, stop.Output);
        }
        Assert.False(RunNetworkScript.IsRunning(watch.GetProperty("pid").GetInt32()), "-Stop left the live view running");
    }

    /// <summary>True when the element (id: arguments[0]) lies wholly inside the viewport.</summary>
    private const string OnScreen = "const r = document.getElementById(arguments[0]).getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;";

    /// <summary>True when every orphaned block drawn names its fork point (data-fork) and that block is drawn, on the active chain.</summary>
    private const string ForkPointsShown = """
        const drawn = new Map([...document.querySelectorAll('#tree g.block')].map(b => [b.dataset.hash, b]));
        return [...drawn.values()].filter(b => b.classList.contains('orphaned')).every(b => {
          const fork = drawn.get(b.dataset.fork);
          return fork !== undefined && !fork.classList.contains('orphaned');
        });
        """;

    /// <summary>Clicks an element once it is scrolled to the middle of the screen, clear of the docked controls, as a user would.</summary>
    private static void Click(ChromeDriver browser, By by)
    {
        var element = browser.FindElement(by);
        browser.ExecuteScript("arguments[0].scrollIntoView({block: 'center'})", element);
        element.Click();
    }

    private static System.Collections.ObjectModel.ReadOnlyCollection<IWebElement> Rows(ChromeDriver browser) => browser.FindElements(By.CssSelector("#nodes tbody tr.node"));

    private static System.Collections.ObjectModel.ReadOnlyCollection<IWebElement> Replicas(ChromeDriver browser) => browser.FindElements(By.CssSelector("#replicas tbody tr.replica"));

    private static List<string> Leaders(ChromeDriver browser) => [.. browser.FindElements(By.CssSelector("#replicas tbody tr.replica.leader")).Select(r => r.GetDomAttribute("data-replica") ?? "")];

    private static List<string> Down(ChromeDriver browser) => [.. browser.FindElements(By.CssSelector("#replicas tbody tr.replica.down")).Select(r => r.GetDomAttribute("data-replica") ?? "")];

    private static uint Height(ChromeDriver browser) =>
        browser.FindElements(By.CssSelector("#nodes td.height")).Select(td => uint.TryParse(td.Text, out var h) ? h : 0).DefaultIfEmpty(0u).Max();

    private static string Text(ChromeDriver browser, string id) => browser.FindElement(By.Id(id)).Text;

    /// <summary>Polls the page (the browser re-renders it twice a second) until the condition holds; at the deadline, says what the page showed.</summary>
    private static Task Until(Func<bool> condition, string what, ChromeDriver browser) =>
        Poll.UntilAsync(() =>
        {
            try
            {
                return condition();
            }
            catch (StaleElementReferenceException)
            {
                return false; // re-rendered while we read it
            }
        }, s_patience, () => $"Waiting for {what}. The page said: {browser.FindElement(By.TagName("body")).Text}");

    /// <summary>A screenshot of the page at its top, or with <paramref name="panel"/> scrolled to the top of the screen.</summary>
    private void Screenshot(ChromeDriver browser, string name, string? panel = null)
    {
        browser.ExecuteScript(panel is null ? "window.scrollTo(0, 0)" : $"document.getElementById('{panel}').scrollIntoView()");
        var directory = Environment.GetEnvironmentVariable("LC_SCREENSHOTS") ?? Path.GetDirectoryName(_data)!;
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        ((ITakesScreenshot)browser).GetScreenshot().SaveAsFile(path);
        output.WriteLine($"screenshot: {path}");
    }

    /// <summary>Debian's chromium and chromedriver, found on PATH (never downloaded).</summary>
    private static ChromeDriver Chromium()
    {
        const string Install = "install Debian's chromium and chromium-driver (.ci/run does)";
        var driver = ExternalProcess.FindOnPath(Install, "chromedriver");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = ExternalProcess.FindOnPath(Install, "chromium", "chromium-browser", "google-chrome") };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,720");
        var browser = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        // A projector's 1280×720 is the page's viewport: the window is that plus the browser's own frame.
        var frame = (System.Collections.ObjectModel.ReadOnlyCollection<object>)browser.ExecuteScript("return [outerWidth - innerWidth, outerHeight - innerHeight]")!;
        browser.Manage().Window.Size = new System.Drawing.Size(1280 + Convert.ToInt32(frame[0], System.Globalization.CultureInfo.InvariantCulture), 720 + Convert.ToInt32(frame[1], System.Globalization.CultureInfo.InvariantCulture));
        return browser;
    }

    public void Dispose() => TempDirectory.Delete(Path.GetDirectoryName(_data)!);
}
