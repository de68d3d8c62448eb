using System.Text.Json;
using System.Xml.Linq;
using LedgerContrast.Contrast.Report;
using LedgerContrast.Contrast.Scenarios;

namespace LedgerContrast.Contrast.Tests.Report;

public class ContrastReportTests
{
    private static ScenarioResult Partition()
    {
        var result = new ScenarioResult("partition");
        result.Verdicts.Add(new Verdict("Finality", "final at commit", "reversed after 3 confirmations"));
        result.Chain["blocks_reorganised"] = 3;
        result.BlockTree.Add(new TreeBlock("aa01", 10, "aa00", true, "node2"));
        result.BlockTree.Add(new TreeBlock("aa02", 11, "aa01", true, "node2", "carol's payment"));
        result.BlockTree.Add(new TreeBlock("bb02", 11, "aa01", false, "node1", "bob's payment"));
        result.Latencies.Add(new LatencySeries("bank", "transfer", 1.5, 9));
        result.Latencies.Add(new LatencySeries("chain", "3 confirmations", 2_000, 6_000));
        return result;
    }

    [Fact]
    public void The_terminal_table_fits_120_columns_however_long_its_figures_and_loses_none_of_them()
    {
        var long_ = string.Join(' ', Enumerable.Repeat("a measured figure with its sample size and interval", 8));
        var result = new ScenarioResult("outage");
        result.Verdicts.Add(new Verdict("Reliability", "bank " + long_, "chain " + long_, "replicated " + long_));
        var rows = ContrastReport.Rows([Partition(), result], 3, "mesh");
        var written = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(written), Ansi = Spectre.Console.AnsiSupport.No });
        console.Profile.Width = 240; // as CliOutput sets it for piped output

        console.Write(TerminalTable.Of(rows));

        var lines = written.ToString().Split('\n');
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= TerminalTable.Columns, $"{l.TrimEnd().Length} columns: {l}"));
        var words = string.Join(' ', lines.Select(l => l.Trim())).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8 * 3, words.Count(w => w == "interval"));
        Assert.All(rows, r => Assert.Contains(lines, l => l.Trim() == r.Dimension));
    }

    [Fact]
    public void The_table_has_every_dimension_of_the_design_in_its_order()
    {
        var rows = ContrastReport.Rows([Partition()], 3, "mesh");
        Assert.Equal(["Topology", "Finality", "Security", "Typical use cases"], rows.Select(r => r.Dimension));
    }

    [Fact]
    public void A_security_row_measured_in_the_run_replaces_the_stated_one_and_the_stated_one_says_it_was_not_measured()
    {
        var stated = ContrastReport.Rows([Partition()], 3, "mesh").Single(r => r.Dimension == "Security");
        Assert.StartsWith("stated, not measured in this run", stated.Bank, StringComparison.Ordinal);
        Assert.StartsWith("stated, not measured in this run", stated.Chain, StringComparison.Ordinal);
        var security = new ScenarioResult("security");
        security.Verdicts.Add(new Verdict("Security", "measured: 3 of 3 refused", "measured: 4 of 4 refused"));
        var rows = ContrastReport.Rows([Partition(), security], 3, "mesh");
        Assert.Equal(["Topology", "Finality", "Security", "Typical use cases"], rows.Select(r => r.Dimension));
        Assert.Equal("measured: 3 of 3 refused", rows.Single(r => r.Dimension == "Security").Bank);
    }

    [Fact]
    public void The_bank_measured_alike_in_performance_and_scale_is_flagged_when_the_two_intervals_do_not_overlap()
    {
        static (ScenarioResult Throughput, ScenarioResult Scale) Measured(double[] performance, double[] scaled)
        {
            var throughput = new ScenarioResult("throughput");
            throughput.Bank["transfers_per_second_95ci"] = performance;
            var scale = new ScenarioResult("scale");
            scale.Bank["levels"] = new List<Dictionary<string, object>>
            {
                new() { ["clients"] = 1, ["transfers_per_second_95ci"] = new[] { 900.0, 1_100 } },
                new() { ["clients"] = 16, ["transfers_per_second_95ci"] = scaled },
            };
            return (throughput, scale);
        }
        // Issue 27's run: Performance 576/s at 16 clients beside Scalability's 2,437/s at 16.
        var (t1, s1) = Measured([520, 630], [2_300, 2_560]);
        ContrastReport.CrossCheck([t1, s1]);
        Assert.Contains(s1.Notes, n => n.Contains("do not overlap", StringComparison.Ordinal));
        Assert.True(s1.Passed);
        var (t2, s2) = Measured([2_200, 2_450], [2_300, 2_560]);
        ContrastReport.CrossCheck([t2, s2]);
        Assert.Empty(s2.Notes);
    }

    [Fact]
    public void The_latency_chart_is_linear_with_ticks_in_units_so_milliseconds_look_small_beside_seconds()
    {
        var svg = XDocument.Parse(ReportSvg.Latency([.. Partition().Latencies.Select(l => ("partition", l))]).Replace("<figure>", "", StringComparison.Ordinal).Split("<figcaption>")[0]);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var widths = svg.Descendants(ns + "rect").Select(r => double.Parse(r.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var ticks = svg.Descendants(ns + "text").Select(t => t.Value).ToList();

        // rows: bank p99, bank p50, chain p99, chain p50 (1.5/9 ms and 2/6 s)
        Assert.Equal(2_000.0 / 6_000.0, widths[3] / widths[2], 3);
        Assert.True(widths[0] <= 1.0, $"a 9 ms bar is {widths[0]} px beside a 6 s one");
        Assert.Contains("0 ms", ticks);
        Assert.Contains("6 s", ticks);
    }

    [Fact]
    public void The_html_tells_each_experiment_as_steps_and_why_it_matters_and_keeps_raw_figures_in_the_json()
    {
        var result = new ScenarioResult("outage");
        result.Steps.Add("0.1 s — bank: kill -9 the bank while a client keeps transferring");
        result.Bank["downtime_seen_by_client_ms"] = new { value = 4321 };
        result.Verdicts.Add(new Verdict("Reliability", "single point of failure", "no single point of failure"));

        var html = ContrastReport.Html([result], ContrastReport.Rows([result], 3, "mesh"));

        Assert.Contains("kill -9 the bank while a client keeps transferring", html, StringComparison.Ordinal);
        Assert.Contains("Why it matters", html, StringComparison.Ordinal);
        Assert.DoesNotContain("4321", html, StringComparison.Ordinal);
        Assert.Contains("4321", JsonSerializer.Serialize(ContrastReport.Json([result], [])), StringComparison.Ordinal);
    }

    [Fact]
    public void The_html_is_self_contained_and_its_block_tree_marks_both_conflicting_payments_and_each_miner()
    {
        var html = ContrastReport.Html([Partition()], ContrastReport.Rows([Partition()], 3, "mesh"));
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal));
        var svg = html[html.IndexOf("<svg", StringComparison.Ordinal)..(html.IndexOf("</svg>", StringComparison.Ordinal) + 6)];
        var tree = XElement.Parse(svg); // well-formed SVG
        var boxes = tree.Elements().Where(e => e.Name.LocalName == "rect").ToList();
        Assert.Equal(3, boxes.Count);
        Assert.Single(boxes, b => (string?)b.Attribute("stroke") == "#b00020");
        Assert.Single(boxes, b => (string?)b.Attribute("stroke") == "#176a17");
        var texts = tree.Descendants().Where(e => e.Name.LocalName == "text").Select(t => t.Value).ToList();
        Assert.Contains("bob's payment", texts);
        Assert.Contains("carol's payment", texts);
        Assert.Contains("by node1", texts);
        Assert.Contains(texts, t => t.StartsWith("fork point", StringComparison.Ordinal));
    }

    [Fact]
    public void A_long_partition_collapses_its_unmarked_runs_so_the_tree_fits_the_page()
    {
        var tree = LongPartitionTree();
        var svg = XElement.Parse(ReportSvg.BlockTree(tree).Replace("<figure>", "", StringComparison.Ordinal).Split("<figcaption>")[0]);
        var texts = svg.Descendants().Where(e => e.Name.LocalName == "text").Select(t => t.Value).ToList();
        var viewBoxWidth = double.Parse(((string)svg.Attribute("viewBox")!).Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);

        // 53 blocks drawn as the heights that tell the story: start, fork point, first of each branch,
        // both payments, the minority's last block, the tip — and "… n blocks" between them.
        Assert.True(viewBoxWidth <= 1200, $"the tree is {viewBoxWidth} px wide");
        Assert.Contains("… 14 blocks", texts);
        Assert.Contains(texts, t => t.StartsWith("fork point", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("heal", StringComparison.Ordinal));
        Assert.Contains("bob's payment", texts);
        Assert.Contains("carol's payment", texts);
        Assert.Equal("100%", ((string)svg.Attribute("style")!).Split(';')[0].Split(':')[1]);
    }

    /// <summary>Blocks 0–40 active, an orphaned branch 16–27 off block 15; bob paid at 18 (orphaned), carol at 19 (active).</summary>
    internal static List<TreeBlock> LongPartitionTree()
    {
        var tree = new List<TreeBlock>();
        for (var height = 0u; height <= 40; height++)
        {
            tree.Add(new TreeBlock($"a{height:D3}", height, height == 0 ? "" : $"a{height - 1:D3}", true, height % 2 == 0 ? "node2" : "node3", height == 19 ? "carol's payment" : null));
        }
        for (var height = 16u; height <= 27; height++)
        {
            tree.Add(new TreeBlock($"b{height:D3}", height, height == 16 ? "a015" : $"b{height - 1:D3}", false, "node1", height == 18 ? "bob's payment" : null));
        }
        return tree;
    }

    [Fact]
    public void The_json_report_holds_every_figure_and_the_verdict()
    {
        var failed = Partition();
        failed.Expect(false, "something did not happen");
        var json = JsonSerializer.Serialize(ContrastReport.Json([failed], ContrastReport.Rows([failed], 3, "mesh")));
        using var document = JsonDocument.Parse(json);
        Assert.False(document.RootElement.GetProperty("passed").GetBoolean());
        var experiment = document.RootElement.GetProperty("experiments")[0];
        Assert.Equal(3, experiment.GetProperty("chain").GetProperty("blocks_reorganised").GetInt32());
        Assert.Contains("UNEXPECTED", experiment.GetProperty("notes")[0].GetString());
    }

    [Fact]
    public void A_replicated_bank_gets_its_own_column_only_when_an_experiment_measured_it_and_unmeasured_rows_say_so()
    {
        var outage = new ScenarioResult("outage");
        outage.Verdicts.Add(new Verdict("Reliability", "single point of failure", "no single point of failure", "leader killed 10 times, 0 requests failed"));
        outage.Replicated["failover_ms"] = new { p50 = 113 };
        var both = new[] { outage, Partition() };
        var rows = ContrastReport.Rows(both, 3, "mesh");

        var markdown = ContrastReport.Markdown(both, rows);
        var header = markdown.Split('\n').Single(l => l.StartsWith("| Dimension", StringComparison.Ordinal));
        Assert.Contains(ContrastReport.ReplicatedHeading, header, StringComparison.Ordinal);
        var finality = markdown.Split('\n').Single(l => l.StartsWith("| Finality", StringComparison.Ordinal));
        Assert.Equal(4, finality.Split(" | ").Length); // dimension, bank, replicated (—), chain
        Assert.Contains($"| {ContrastReport.NotMeasured} |", finality, StringComparison.Ordinal);
        Assert.Contains(ContrastReport.NotMeasuredNote, markdown, StringComparison.Ordinal);
        Assert.Contains("leader killed 10 times", ContrastReport.Html(both, rows), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(ContrastReport.Json(both, rows)));
        Assert.Equal(113, json.RootElement.GetProperty("experiments")[0].GetProperty("replicated_bank").GetProperty("failover_ms").GetProperty("p50").GetInt32());

        var single = ContrastReport.Markdown([Partition()], ContrastReport.Rows([Partition()], 3, "mesh"));
        Assert.DoesNotContain(ContrastReport.ReplicatedHeading, single, StringComparison.Ordinal);
        Assert.DoesNotContain(ContrastReport.NotMeasuredNote, single, StringComparison.Ordinal);
    }
}
