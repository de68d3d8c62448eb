using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LedgerContrast.Contrast.Scenarios;

namespace LedgerContrast.Contrast.Report;

/// <summary>
/// The side-by-side report: rows are the dimensions of docs/ARCHITECTURE.md §1, columns the two systems,
/// every value measured in this run. Written as report.md, report.json (every figure) and a
/// self-contained report.html with an SVG of the partition's block tree and latency charts.
/// </summary>
public static class ContrastReport
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Dimensions that are true by construction, stated with what shows them.</summary>
    public static IReadOnlyList<Verdict> StaticRows(int nodes, string topology) =>
    [
        new("Topology", "star: every client talks to the one bank server", $"{topology} of {nodes} equal nodes; `chain peers` on any node"),
        new("Security", "one authenticated front door: bearer tokens, a customer may debit only its own accounts (tests prove each refusal)",
            "no perimeter: every input carries a BIP-340 signature over the network id; a peer sending invalid data is banned (tests)"),
        new("Typical use cases",
            "payments that must be final at once and can be reversed by an accountable operator — retail banking, payroll, card settlement (the Double spend, Finality and Governance rows)",
            "value moved among parties who trust no single operator and can wait for confirmations — cross-organisation settlement, payments no one can block (the Reliability, Management overhead and Finality rows)"),
    ];

    public static IReadOnlyList<Verdict> Rows(IReadOnlyList<ScenarioResult> results, int nodes, string topology)
    {
        var order = new[] { "Topology", "Double spend", "Finality", "Reliability", "Governance", "Performance", "Security", "Management overhead", "Typical use cases" };
        var rows = StaticRows(nodes, topology).Concat(results.SelectMany(r => r.Verdicts)).ToList();
        return [.. rows.OrderBy(r => Array.IndexOf(order, r.Dimension))];
    }

    public static object Json(IReadOnlyList<ScenarioResult> results, IReadOnlyList<Verdict> rows) => new
    {
        generated = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
        passed = results.All(r => r.Passed),
        table = rows.Select(r => new { dimension = r.Dimension, bank = r.Bank, chain = r.Chain }),
        experiments = results.Select(r => new
        {
            name = r.Name,
            passed = r.Passed,
            seconds = Math.Round(r.Seconds, 1),
            machine = r.Machine is { } m ? new { cores = m.Cores, load_average_1m_before = m.LoadBefore, load_average_1m_after = m.LoadAfter } : null,
            bank = r.Bank,
            chain = r.Chain,
            notes = r.Notes,
            block_tree = r.BlockTree,
            latencies = r.Latencies,
        }),
    };

    public static void Write(string directory, IReadOnlyList<ScenarioResult> results, IReadOnlyList<Verdict> rows)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "report.json"), JsonSerializer.Serialize(Json(results, rows), s_json));
        File.WriteAllText(Path.Combine(directory, "report.md"), Markdown(results, rows));
        File.WriteAllText(Path.Combine(directory, "report.html"), Html(results, rows));
    }

    public static string Markdown(IReadOnlyList<ScenarioResult> results, IReadOnlyList<Verdict> rows)
    {
        var md = new StringBuilder();
        md.AppendLine("# LedgerContrast: client-server vs peer-to-peer, measured").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Generated {DateTimeOffset.UtcNow:u}. Every value below was measured in this run.").AppendLine();
        md.AppendLine("| Dimension | CentralBank (client-server) | ChainNode network (peer-to-peer) |");
        md.AppendLine("|---|---|---|");
        foreach (var row in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {row.Dimension} | {Cell(row.Bank)} | {Cell(row.Chain)} |");
        }
        foreach (var result in results)
        {
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## {result.Name} — {(result.Passed ? "as expected" : "UNEXPECTED")} ({result.Seconds:F1} s)");
            if (result.Machine is { } machine)
            {
                md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine.Describe()}.");
            }
            foreach (var note in result.Notes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
            foreach (var (side, figures) in new[] { ("bank", result.Bank), ("chain", result.Chain) })
            {
                foreach (var (key, value) in figures.Where(f => f.Key != "mempool_views"))
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"- {side}.{key}: `{JsonSerializer.Serialize(value)}`");
                }
            }
        }
        return md.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    public static string Html(IReadOnlyList<ScenarioResult> results, IReadOnlyList<Verdict> rows)
    {
        var html = new StringBuilder();
        html.AppendLine("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>LedgerContrast report</title><style>");
        html.AppendLine("body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px;color:#222}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.5rem;vertical-align:top;text-align:left}th{background:#f3f3f3}.ok{color:#176a17}.bad{color:#b00020}h2{margin-top:2rem}figure{margin:1rem 0;overflow-x:auto}figcaption{color:#555;font-size:.9rem}ol.steps li{margin:.2rem 0}.figures{color:#555;font-size:.9rem}");
        html.AppendLine("</style></head><body>");
        html.AppendLine("<h1>Client-server or peer-to-peer: what you gain and lose, measured</h1>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<p>Generated {DateTimeOffset.UtcNow:u}. Every value was measured in this run.</p>");
        html.AppendLine("<table><tr><th>Dimension</th><th>CentralBank (client-server)</th><th>ChainNode network (peer-to-peer)</th></tr>");
        foreach (var row in rows)
        {
            html.AppendLine(CultureInfo.InvariantCulture, $"<tr><th>{E(row.Dimension)}</th><td>{E(row.Bank)}</td><td>{E(row.Chain)}</td></tr>");
        }
        html.AppendLine("</table>");
        if (results.FirstOrDefault(r => r.BlockTree.Count > 0) is { } partition)
        {
            html.AppendLine("<h2>The partition's block tree</h2>").AppendLine(BlockTreeSvg(partition.BlockTree));
        }
        var latencies = results.SelectMany(r => r.Latencies.Select(l => (Experiment: r.Name, Series: l))).ToList();
        if (latencies.Count > 0)
        {
            html.AppendLine("<h2>Latency</h2>").AppendLine(LatencySvg(latencies));
        }
        for (var index = 0; index < results.Count; index++)
        {
            var result = results[index];
            html.AppendLine(CultureInfo.InvariantCulture, $"<h2>{E(result.Name)} <span class=\"{(result.Passed ? "ok" : "bad")}\">{(result.Passed ? "as expected" : "UNEXPECTED")}</span></h2><ul>");
            if (result.Machine is { } machine)
            {
                html.AppendLine(CultureInfo.InvariantCulture, $"<li>Machine: {E(machine.Describe())}</li>");
            }
            foreach (var note in result.Notes)
            {
                html.AppendLine(CultureInfo.InvariantCulture, $"<li class=\"bad\">{E(note)}</li>");
            }
            html.AppendLine("</ul>");
            // The story, not a dump: what was done and what happened (the step lines), then why it
            // matters (this experiment's rows of the table). Every figure stays in report.json.
            if (result.Steps.Count > 0)
            {
                html.AppendLine("<h3>What we did, and what happened</h3><ol class=\"steps\">");
                foreach (var step in result.Steps)
                {
                    html.AppendLine(CultureInfo.InvariantCulture, $"<li>{E(step)}</li>");
                }
                html.AppendLine("</ol>");
            }
            if (result.Verdicts.Count > 0)
            {
                html.AppendLine("<h3>Why it matters</h3><ul>");
                foreach (var verdict in result.Verdicts)
                {
                    html.AppendLine(CultureInfo.InvariantCulture, $"<li><b>{E(verdict.Dimension)}</b> — bank: {E(verdict.Bank)}; chain: {E(verdict.Chain)}</li>");
                }
                html.AppendLine("</ul>");
            }
            html.AppendLine(CultureInfo.InvariantCulture, $"<p class=\"figures\">Every figure of this experiment, with what produced it: report.json, <code>experiments[{index}]</code>.</p>");
        }
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    /// <summary>Blocks by height left to right; the active chain on top, the orphaned branch below; the reversed payment's block in red.</summary>
    public static string BlockTreeSvg(IReadOnlyList<TreeBlock> blocks)
    {
        var minHeight = blocks.Min(b => b.Height);
        var maxHeight = blocks.Max(b => b.Height);
        const int w = 96, gap = 28, h = 44, top = 40;
        int X(uint height) => 20 + (int)(height - minHeight) * (w + gap);
        int Y(TreeBlock b) => b.Active ? top : top + 110;
        var width = X(maxHeight) + w + 40;
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"230\" viewBox=\"0 0 {width} 230\" font-family=\"monospace\" font-size=\"11\">");
        svg.AppendLine("<text x=\"20\" y=\"24\" font-size=\"13\">active chain (most work)</text><text x=\"20\" y=\"134\" font-size=\"13\" fill=\"#777\">orphaned minority branch</text>");
        var byHash = blocks.ToDictionary(b => b.Hash);
        foreach (var block in blocks)
        {
            if (byHash.TryGetValue(block.Parent, out var parent))
            {
                svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{X(parent.Height) + w}\" y1=\"{Y(parent) + h / 2}\" x2=\"{X(block.Height)}\" y2=\"{Y(block) + h / 2}\" stroke=\"#888\" stroke-width=\"2\"/>");
            }
        }
        foreach (var block in blocks)
        {
            var fill = block.HoldsReversedPayment ? "#ffd6d6" : block.Active ? "#dcefff" : "#eeeeee";
            var stroke = block.HoldsReversedPayment ? "#b00020" : block.Active ? "#2a6fb0" : "#999";
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{X(block.Height)}\" y=\"{Y(block)}\" width=\"{w}\" height=\"{h}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"2\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{X(block.Height) + 8}\" y=\"{Y(block) + 18}\">#{block.Height}</text><text x=\"{X(block.Height) + 8}\" y=\"{Y(block) + 34}\">{block.Hash[..Math.Min(10, block.Hash.Length)]}</text>");
            if (block.HoldsReversedPayment)
            {
                svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{X(block.Height)}\" y=\"{Y(block) + h + 16}\" fill=\"#b00020\">bob's payment (reversed)</text>");
            }
        }
        svg.AppendLine("</svg><figcaption>Each box is a block (height, hash). Bob's payment was confirmed in the red block on the minority branch; when the partition healed, the heavier chain above replaced that branch.</figcaption></figure>");
        return svg.ToString();
    }

    /// <summary>
    /// Latencies on one linear axis with ticks and units: next to the chain's seconds the bank's
    /// milliseconds are a sliver — that is the contrast, shown as it is (a log scale hid it).
    /// </summary>
    public static string LatencySvg(IReadOnlyList<(string Experiment, LatencySeries Series)> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        const int rowHeight = 34, left = 300, barWidth = 560, top = 20;
        var max = Math.Max(1, series.Max(s => Math.Max(s.Series.P50Ms, s.Series.P99Ms)));
        var step = NiceStep(max / 5);
        var axisMax = Math.Ceiling(max / step) * step;
        double W(double ms) => Math.Max(1, barWidth * ms / axisMax); // at least a pixel: a 2 ms bar is still there
        var axisY = top + series.Count * rowHeight + 4;
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + barWidth + 260}\" height=\"{axisY + 30}\" font-family=\"system-ui,sans-serif\" font-size=\"12\">");
        for (var i = 0; i < series.Count; i++)
        {
            var (experiment, s) = series[i];
            var y = top + i * rowHeight;
            var color = s.System == "bank" ? "#2a6fb0" : "#d98c1f";
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{y + 14}\">{E(experiment)}: {E(s.System)} — {E(s.Label)}</text>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y}\" width=\"{W(s.P99Ms):F1}\" height=\"18\" fill=\"{color}\" opacity=\"0.35\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y}\" width=\"{W(s.P50Ms):F1}\" height=\"18\" fill=\"{color}\"/>");
            var samples = s.Samples > 0 ? $" (n = {s.Samples})" : "";
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left + W(s.P99Ms) + 6:F1}\" y=\"{y + 14}\">{E(s.FirstMark)} {Ms(s.P50Ms)} · {E(s.SecondMark)} {Ms(s.P99Ms)}{samples}</text>");
        }
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{axisY}\" x2=\"{left + barWidth}\" y2=\"{axisY}\" stroke=\"#555\"/>");
        for (var tick = 0.0; tick <= axisMax + step / 2; tick += step)
        {
            var x = left + barWidth * tick / axisMax;
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x:F1}\" y1=\"{axisY}\" x2=\"{x:F1}\" y2=\"{axisY + 5}\" stroke=\"#555\"/><text x=\"{x:F1}\" y=\"{axisY + 18}\" text-anchor=\"middle\">{Tick(tick)}</text>");
        }
        svg.AppendLine("</svg><figcaption>Linear scale, time from the request (or the payment) to the answer (or the confirmation). Dark: the first mark, light: the second, each named on its row (percentiles of n measurements, or single events such as the first and the k-th confirmation). Blue: bank, orange: chain.</figcaption></figure>");
        return svg.ToString();
    }

    /// <summary>1, 2 or 5 times a power of ten: tick steps a reader can add up.</summary>
    private static double NiceStep(double rough)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(rough, 1e-3))));
        var fraction = rough / power;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
    }

    private static string Tick(double ms) => ms >= 1000
        ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.##} s")
        : string.Create(CultureInfo.InvariantCulture, $"{ms:0.##} ms");

    private static string Ms(double ms) => ms >= 1000 ? $"{ms / 1000:F1} s" : $"{ms:F1} ms";

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
