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
            browser.FindElement(By.Id("partition")).Click();
            await Until(() => Text(browser, "branch-count") == "2", "two branch tips after the partition", browser);
            Screenshot(browser, "live-2-partition.png");

            // The bank decides a double spend at once: one success, one INSUFFICIENT_FUNDS.
            browser.FindElement(By.Id("double-spend-bank")).Click();
            await Until(() => browser.FindElements(By.CssSelector("#refusals li")).Any(li => li.Text.Contains("INSUFFICIENT_FUNDS", StringComparison.Ordinal))
                && Text(browser, "steps").Contains("1 succeeded, 1 refused (INSUFFICIENT_FUNDS)", StringComparison.Ordinal), "the bank's double spend: one success, one refusal", browser);

            // Heal: one tip again, and the lighter branch greyed as orphaned.
            browser.FindElement(By.Id("heal")).Click();
            await Until(() => Text(browser, "branch-count") == "1" && browser.FindElements(By.CssSelector("#tree g.block.orphaned")).Count > 0,
                "one tip and an orphaned branch after the heal", browser);
            Screenshot(browser, "live-3-healed.png");

            // The replicated bank: three replicas, one leads. Kill the leader from the page: a new
            // one is elected among the other two; restart the killed one and it catches up.
            var killed = "";
            await Until(() => Replicas(browser).Count == 3 && Leaders(browser) is [var leader] && (killed = leader).Length > 0, "3 replicas, one leading", browser);
            browser.FindElement(By.Id("kill-leader")).Click();
            await Until(() => Down(browser).SequenceEqual([killed]) && Leaders(browser) is [var next] && next != killed,
                $"{killed} down and another replica leading", browser);
            Screenshot(browser, "live-4-new-leader.png");
            // The table is re-rendered twice a second: find and click its button in one go, again if it was replaced meanwhile.
            await Until(() =>
            {
                browser.FindElement(By.CssSelector($"#replicas tr[data-replica='{killed}'] button.restart")).Click();
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
            browser.FindElement(By.CssSelector("#light-lie option[value='hide']")).Click();
            browser.FindElement(By.Id("light-sync")).Click();
            await Until(() => browser.FindElements(By.CssSelector("#light-asked tbody tr.asked")).Count == 3
                && browser.FindElements(By.CssSelector("#light-asked tbody tr.caught")) is [var liar] && liar.Text.StartsWith("liar: node1 behind a proxy (hide)", StringComparison.Ordinal)
                && Text(browser, "light-shown").Contains("beside node2, node3 (a proxy in front of node1 that hides", StringComparison.Ordinal) && !Text(browser, "light-shown").Contains("showed 0 ", StringComparison.Ordinal),
                "bob's light wallet catching the node that hides his payments", browser);
            browser.ExecuteScript("document.getElementById('light-panel').scrollIntoView()");
            Screenshot(browser, "live-5-light-wallet.png");
            browser.FindElement(By.Id("light-alone")).Click();
            browser.FindElement(By.Id("light-sync")).Click();
            await Until(() => Text(browser, "light-shown").Contains("over the lying node alone (a proxy", StringComparison.Ordinal) && Text(browser, "light-shown").Contains("showed 0 in 0 coins", StringComparison.Ordinal),
                "bob's light wallet fooled by the liar alone", browser);
            Assert.True(browser.ExecuteScript("return document.documentElement.scrollWidth <= document.documentElement.clientWidth") is true, "the live view scrolls sideways at 1280 px");
        }
        finally
        {
            var stop = await RunNetworkScript.RunAsync(_data, "-Stop");
            Assert.True(stop.ExitCode == 0, stop.Output);
        }
        Assert.False(RunNetworkScript.IsRunning(watch.GetProperty("pid").GetInt32()), "-Stop left the live view running");
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

    private void Screenshot(ChromeDriver browser, string name)
    {
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
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public void Dispose() => TempDirectory.Delete(Path.GetDirectoryName(_data)!);
}
