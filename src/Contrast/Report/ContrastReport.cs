using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LedgerContrast.Contrast.Scenarios;

namespace LedgerContrast.Contrast.Report;

/// <summary>
/// The side-by-side report: rows are the dimensions of docs/ARCHITECTURE.md §1, columns the two systems,
/// every value measured in this run but the computed ones, which say so. Written as report.md, report.json (every figure) and a
/// self-contained report.html with an SVG of the partition's block tree and latency charts.
/// </summary>
public static class ContrastReport
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Dimensions that are true by construction, stated with what shows them.</summary>
    public static IReadOnlyList<Verdict> StaticRows(int nodes, string topology) =>
    [
        new("Topology", "star: every client talks to the one bank server", $"{topology} of {nodes} equal nodes; `chain peers` on any node"),
        new(SecurityScenario.Dimension, "stated, not measured in this run (`contrast security` measures it): one authenticated front door — bearer tokens, a customer may debit only its own accounts (tests prove each refusal)",
            "stated, not measured in this run (`contrast security` measures it): no perimeter — every input carries a BIP-340 signature over the network id; a peer sending invalid data is banned (tests)"),
        new("Typical use cases",
            "payments that must be final at once and can be reversed by an accountable operator — retail banking, payroll, card settlement (the Double spend, Finality and Governance rows)",
            "value moved among parties who trust no single operator and can wait for confirmations — cross-organisation settlement, payments no one can block (the Reliability, Management overhead and Finality rows)"),
    ];

    /// <summary>Where the table's values come from, said above it.</summary>
    public const string Provenance = "Every value was measured in this run, except those marked computed (the chain's capacity: block size ÷ interval, a property of the rules) and the rows stated by construction (Topology, Typical use cases, and any row that says \"stated, not measured\"). Rates carry their sample size and a 95% interval.";

    /// <summary>
    /// Figures measured twice alike in one run, compared: the bank at 16 clients is the Performance
    /// row's load and a level of the Scalability row's, under the same conditions. Where their 95%
    /// intervals do not overlap the two rows would contradict each other, so the scale result says
    /// why (the machine's speed changed between them) and with what load averages.
    /// </summary>
    public static void CrossCheck(IReadOnlyList<ScenarioResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var throughput = results.FirstOrDefault(r => r.Name == "throughput");
        var scale = results.FirstOrDefault(r => r.Name == "scale");
        if (throughput?.Bank.GetValueOrDefault("transfers_per_second_95ci") is not double[] performance
            || scale?.Bank.GetValueOrDefault("levels") is not List<Dictionary<string, object>> levels
            || levels.FirstOrDefault(l => l["clients"] is int c && c == ThroughputScenario.Clients)?.GetValueOrDefault("transfers_per_second_95ci") is not double[] scaled)
        {
            return;
        }
        if (performance[0] <= scaled[1] && scaled[0] <= performance[1])
        {
            return;
        }
        scale.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"The bank at {ThroughputScenario.Clients} clients was measured alike in throughput ({performance[0]:N0}–{performance[1]:N0}/s, 95%) and here ({scaled[0]:N0}–{scaled[1]:N0}/s), and the intervals do not overlap: the machine's speed changed between the two runs ({throughput.Machine?.Describe() ?? "load not read"} in throughput; {scale.Machine?.Describe() ?? "load not read"} here). Neither figure is the bank's alone; run them again on a quiet machine."));
    }

    public static IReadOnlyList<Verdict> Rows(IReadOnlyList<ScenarioResult> results, int nodes, string topology)
    {
        var order = new[] { "Topology", "Double spend", "Finality", "Reliability", "Governance", "Performance", "Scalability", "Forks and stale blocks", SecurityScenario.Dimension, HybridScenario.Dimension, "Management overhead", "Typical use cases" };
        // A row an experiment measured replaces the stated one (Security, once `contrast security` ran).
        var measured = results.SelectMany(r => r.Verdicts).ToList();
        var rows = StaticRows(nodes, topology).Where(s => measured.All(m => m.Dimension != s.Dimension)).Concat(measured).ToList();
        return [.. rows.OrderBy(r => Array.IndexOf(order, r.Dimension))];
    }

    public static object Json(IReadOnlyList<ScenarioResult> results, IReadOnlyList<Verdict> rows) => new
    {
        generated = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
        passed = results.All(r => r.Passed),
        table = rows.Select(r => new { dimension = r.Dimension, bank = r.Bank, chain = r.Chain, replicated_bank = r.Replicated }),
        experiments = results.Select(r => new
        {
            name = r.Name,
            passed = r.Passed,
            seconds = Math.Round(r.Seconds, 1),
            machine = r.Machine is { } m ? new { cores = m.Cores, load_average_1m_before = m.LoadBefore, load_average_1m_after = m.LoadAfter } : null,
            bank = r.Bank,
            chain = r.Chain,
            replicated_bank = r.Replicated.Count > 0 ? r.Replicated : null,
            notes = r.Notes,
            block_tree = r.BlockTree,
            latencies = r.Latencies,
            curves = r.Curves,
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
        md.AppendLine(CultureInfo.InvariantCulture, $"Generated {DateTimeOffset.UtcNow:u}. {Provenance}").AppendLine();
        var replicated = HasReplicated(rows);
        md.AppendLine(replicated ? $"| Dimension | {BankHeading} | {ReplicatedHeading} | {ChainHeading} |" : $"| Dimension | {BankHeading} | {ChainHeading} |");
        md.AppendLine(replicated ? "|---|---|---|---|" : "|---|---|---|");
        foreach (var row in rows)
        {
            md.AppendLine(replicated
                ? $"| {row.Dimension} | {Cell(row.Bank)} | {Cell(ReplicatedCell(row))} | {Cell(row.Chain)} |"
                : $"| {row.Dimension} | {Cell(row.Bank)} | {Cell(row.Chain)} |");
        }
        if (replicated)
        {
            md.AppendLine().AppendLine(NotMeasuredNote);
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
            foreach (var (side, figures) in new[] { ("bank", result.Bank), ("chain", result.Chain), ("replicated_bank", result.Replicated) })
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

    public const string BankHeading = "CentralBank (client-server)";
    public const string ReplicatedHeading = "CentralBank, replicated (client-server, Raft)";
    public const string ChainHeading = "ChainNode network (peer-to-peer)";

    /// <summary>A row the replicated bank's experiments did not measure.</summary>
    public const string NotMeasured = "—";

    public const string NotMeasuredNote = "— : not measured for the replicated bank in this run (its leader runs the single server's ledger code; the rows that differ are measured).";

    /// <summary>Whether any row has the replicated bank's answer: the table then has its column.</summary>
    public static bool HasReplicated(IReadOnlyList<Verdict> rows) => rows?.Any(r => r.Replicated is not null) ?? false;

    public static string ReplicatedCell(Verdict row) => row?.Replicated ?? NotMeasured;

    public static string Html(IReadOnlyList<ScenarioResult> results, IReadOnlyList<Verdict> rows)
    {
        var html = new StringBuilder();
        html.AppendLine("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>LedgerContrast report</title><style>");
        html.AppendLine("body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px;color:#222}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.5rem;vertical-align:top;text-align:left}th{background:#f3f3f3}.ok{color:#176a17}.bad{color:#b00020}h2{margin-top:2rem}figure{margin:1rem 0;overflow-x:auto}figcaption{color:#555;font-size:.9rem}ol.steps li{margin:.2rem 0}.figures{color:#555;font-size:.9rem}.curves{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}svg{max-width:100%}");
        html.AppendLine("</style></head><body>");
        html.AppendLine("<h1>Client-server or peer-to-peer: what you gain and lose, measured</h1>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<p>Generated {DateTimeOffset.UtcNow:u}. {WebUtility.HtmlEncode(Provenance)}</p>");
        var replicated = HasReplicated(rows);
        html.AppendLine(replicated
            ? $"<table><tr><th>Dimension</th><th>{E(BankHeading)}</th><th>{E(ReplicatedHeading)}</th><th>{E(ChainHeading)}</th></tr>"
            : $"<table><tr><th>Dimension</th><th>{E(BankHeading)}</th><th>{E(ChainHeading)}</th></tr>");
        foreach (var row in rows)
        {
            html.AppendLine(replicated
                ? $"<tr><th>{E(row.Dimension)}</th><td>{E(row.Bank)}</td><td>{E(ReplicatedCell(row))}</td><td>{E(row.Chain)}</td></tr>"
                : $"<tr><th>{E(row.Dimension)}</th><td>{E(row.Bank)}</td><td>{E(row.Chain)}</td></tr>");
        }
        html.AppendLine("</table>");
        if (replicated)
        {
            html.AppendLine(CultureInfo.InvariantCulture, $"<p class=\"figures\">{E(NotMeasuredNote)}</p>");
        }
        if (results.FirstOrDefault(r => r.BlockTree.Count > 0) is { } partition)
        {
            html.AppendLine("<h2>The partition's block tree</h2>").AppendLine(ReportSvg.BlockTree(partition.BlockTree));
        }
        var latencies = results.SelectMany(r => r.Latencies.Select(l => (Experiment: r.Name, Series: l))).ToList();
        if (latencies.Count > 0)
        {
            html.AppendLine("<h2>Latency</h2>").AppendLine(ReportSvg.Latency(latencies));
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
            if (result.Curves.Count > 0)
            {
                html.AppendLine("<div class=\"curves\">");
                foreach (var curve in result.Curves)
                {
                    html.AppendLine(ReportSvg.Curve(curve));
                }
                html.AppendLine("</div>");
            }
            if (result.Verdicts.Count > 0)
            {
                html.AppendLine("<h3>Why it matters</h3><ul>");
                foreach (var verdict in result.Verdicts)
                {
                    html.AppendLine(CultureInfo.InvariantCulture, $"<li><b>{E(verdict.Dimension)}</b> — bank: {E(verdict.Bank)}; {(verdict.Replicated is { } r ? $"replicated bank: {E(r)}; " : "")}chain: {E(verdict.Chain)}</li>");
                }
                html.AppendLine("</ul>");
            }
            html.AppendLine(CultureInfo.InvariantCulture, $"<p class=\"figures\">Every figure of this experiment, with what produced it: report.json, <code>experiments[{index}]</code>.</p>");
        }
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
