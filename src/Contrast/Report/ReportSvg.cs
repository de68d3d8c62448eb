using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LedgerContrast.Contrast.Scenarios;

namespace LedgerContrast.Contrast.Report;

/// <summary>The report's drawings, as inline SVG: the partition's block tree, the measured curves and the latency chart.</summary>
public static class ReportSvg
{
    /// <summary>
    /// The partition's block tree, fitted to the page: heights left to right, the active chain on
    /// top, the orphaned branch below. Only the heights that tell the story get a column — the
    /// fork point, each branch's first block, the blocks holding the two conflicting payments, the
    /// minority's last block and the tip; every run between them collapses to "… n blocks". Each
    /// block names the node that mined it.
    /// </summary>
    public static string BlockTree(IReadOnlyList<TreeBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var byHash = blocks.ToDictionary(b => b.Hash);
        var orphaned = blocks.Where(b => !b.Active).ToList();
        var forkPoint = orphaned.Select(b => byHash.TryGetValue(b.Parent, out var parent) && parent.Active ? parent : null).FirstOrDefault(p => p is not null);
        var minHeight = blocks.Min(b => b.Height);
        var maxHeight = blocks.Max(b => b.Height);
        var kept = new SortedSet<uint> { minHeight, maxHeight };
        foreach (var block in blocks.Where(b => b.Payment is not null))
        {
            kept.Add(block.Height);
        }
        if (forkPoint is not null)
        {
            kept.Add(forkPoint.Height);
            kept.Add(forkPoint.Height + 1);
        }
        if (orphaned.Count > 0)
        {
            kept.Add(orphaned.Max(b => b.Height));
        }
        // Columns: a kept height, or a run of heights between two kept ones.
        var columns = new List<(uint From, uint To, bool Gap)>();
        uint? previous = null;
        foreach (var keptHeight in kept)
        {
            if (previous is { } p && keptHeight > p + 1)
            {
                columns.Add((p + 1, keptHeight - 1, true));
            }
            columns.Add((keptHeight, keptHeight, false));
            previous = keptHeight;
        }
        const int w = 104, gapW = 72, space = 14, h = 52, top = 56, rowGap = 120, left = 10;
        var xs = new List<int>();
        var x = left;
        foreach (var column in columns)
        {
            xs.Add(x);
            x += (column.Gap ? gapW : w) + space;
        }
        var width = x + 10;
        const int height = top + rowGap + h + 40;
        int Column(uint blockHeight) => columns.FindIndex(c => blockHeight >= c.From && blockHeight <= c.To);
        int Y(bool active) => active ? top : top + rowGap;
        var svg = new StringBuilder();
        // Scales down to the page's width: a long partition never makes the page scroll sideways.
        svg.AppendLine(CultureInfo.InvariantCulture, $"<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" style=\"width:100%;max-width:{width}px;height:auto\" font-family=\"monospace\" font-size=\"11\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"16\" font-size=\"13\">active chain (most work)</text><text x=\"{left}\" y=\"{top + rowGap - 10}\" font-size=\"13\" fill=\"#777\">orphaned minority branch</text>");
        foreach (var active in new[] { true, false })
        {
            var row = blocks.Where(b => b.Active == active).ToList();
            if (row.Count == 0)
            {
                continue;
            }
            var y = Y(active);
            int? lastRight = null;
            for (var c = 0; c < columns.Count; c++)
            {
                var (from, to, gap) = columns[c];
                var inColumn = row.Where(b => b.Height >= from && b.Height <= to).ToList();
                if (inColumn.Count == 0)
                {
                    continue;
                }
                if (lastRight is { } right)
                {
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{right}\" y1=\"{y + h / 2}\" x2=\"{xs[c]}\" y2=\"{y + h / 2}\" stroke=\"#888\" stroke-width=\"2\"/>");
                }
                if (gap)
                {
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{xs[c]}\" y=\"{y + 8}\" width=\"{gapW}\" height=\"{h - 16}\" rx=\"6\" fill=\"none\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>");
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{xs[c] + gapW / 2}\" y=\"{y + h / 2 + 4}\" text-anchor=\"middle\" fill=\"#555\">… {inColumn.Count} block{(inColumn.Count == 1 ? "" : "s")}</text>");
                    lastRight = xs[c] + gapW;
                    continue;
                }
                var block = inColumn[0];
                var fill = block.Payment is not null ? (active ? "#d8f3d8" : "#ffd6d6") : active ? "#dcefff" : "#eeeeee";
                var stroke = block.Payment is not null ? (active ? "#176a17" : "#b00020") : active ? "#2a6fb0" : "#999";
                svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{xs[c]}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"2\"/>");
                svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{xs[c] + 6}\" y=\"{y + 15}\">#{block.Height} {E(block.Hash[..Math.Min(8, block.Hash.Length)])}</text>");
                if (block.MinedBy is not null)
                {
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{xs[c] + 6}\" y=\"{y + 30}\" fill=\"#555\">by {E(block.MinedBy)}</text>");
                }
                if (block.Payment is not null)
                {
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{xs[c] + 6}\" y=\"{y + 45}\" fill=\"{stroke}\">{E(block.Payment)}</text>");
                }
                if (block == forkPoint)
                {
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{xs[c]}\" y=\"{y - 6}\" fill=\"#b06000\">fork point: the partition split here</text>");
                }
                if (!active && block.Height == orphaned.Max(b => b.Height))
                {
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{xs[c]}\" y=\"{y + h + 16}\" fill=\"#b06000\">heal: the minority's last block</text>");
                }
                lastRight = xs[c] + w;
            }
        }
        if (forkPoint is not null && orphaned.Count > 0)
        {
            // The fork: from the last shared block down to the minority's first.
            var c = Column(forkPoint.Height + 1);
            var f = Column(forkPoint.Height);
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{xs[f] + w / 2}\" y1=\"{Y(true) + h}\" x2=\"{xs[c]}\" y2=\"{Y(false) + h / 2}\" stroke=\"#b06000\" stroke-width=\"2\"/>");
        }
        svg.AppendLine("</svg><figcaption>Each box is a block: height, hash, the node that mined it. Red: bob's payment, confirmed on the minority's branch during the partition; green: the same coins paid to carol on the majority's branch. When the partition healed, the heavier chain above replaced the branch below, and bob's payment with it. Dashed boxes stand for runs of blocks with nothing to mark.</figcaption></figure>");
        return svg.ToString();
    }

    /// <summary>One small line chart per measured curve (x: load or size, y: the figure), linear axes with ticks.</summary>
    public static string Curve(Curve curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        const int width = 520, height = 260, left = 64, right = 20, top = 30, bottom = 46;
        var points = curve.Series.SelectMany(s => s.Points).ToList();
        if (points.Count == 0)
        {
            return "";
        }
        var xMin = points.Min(p => p[0]);
        var xMax = Math.Max(points.Max(p => p[0]), xMin + 1);
        var yStep = NiceStep(Math.Max(points.Max(p => p[1]), 1e-3) / 4);
        var yMax = Math.Ceiling(Math.Max(points.Max(p => p[1]), 1e-3) / yStep) * yStep;
        double X(double v) => left + (width - left - right) * (v - xMin) / (xMax - xMin);
        double Y(double v) => height - bottom - (height - top - bottom) * v / yMax;
        string[] colors = curve.System switch
        {
            "bank" => ["#2a6fb0", "#7fb0df"],
            ScenarioResult.ReplicatedSystem => ["#2a8a6f", "#86c9b4"],
            _ => ["#d98c1f", "#8a5200"],
        };
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<figure class=\"curve\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" style=\"width:100%;max-width:{width}px;height:auto\" font-family=\"system-ui,sans-serif\" font-size=\"11\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"16\" font-size=\"13\">{E(curve.Title)}</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"#555\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"#555\"/>");
        for (var tick = 0.0; tick <= yMax + yStep / 2; tick += yStep)
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{Y(tick) + 4:F1}\" text-anchor=\"end\">{tick:0.##}</text><line x1=\"{left}\" y1=\"{Y(tick):F1}\" x2=\"{width - right}\" y2=\"{Y(tick):F1}\" stroke=\"#eee\"/>");
        }
        foreach (var xValue in points.Select(p => p[0]).Distinct().Order())
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{X(xValue):F1}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{xValue:0.##}</text>");
        }
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{(left + width - right) / 2}\" y=\"{height - 8}\" text-anchor=\"middle\">{E(curve.XLabel)}</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{(top + height - bottom) / 2}\" transform=\"rotate(-90 12 {(top + height - bottom) / 2})\" text-anchor=\"middle\">{E(curve.YLabel)}</text>");
        for (var i = 0; i < curve.Series.Count; i++)
        {
            var series = curve.Series[i];
            var color = colors[i % colors.Length];
            var path = string.Join(' ', series.Points.OrderBy(p => p[0]).Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p[0]):F1},{Y(p[1]):F1}")));
            svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline points=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>");
            foreach (var p in series.Points)
            {
                svg.AppendLine(CultureInfo.InvariantCulture, $"<circle cx=\"{X(p[0]):F1}\" cy=\"{Y(p[1]):F1}\" r=\"3\" fill=\"{color}\"><title>{E(series.Name)}: {p[1]:0.##} at {p[0]:0.##}</title></circle>");
            }
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{width - right - 4}\" y=\"{top + 14 * (i + 1)}\" text-anchor=\"end\" fill=\"{color}\">{E(series.Name)}</text>");
        }
        svg.AppendLine("</svg></figure>");
        return svg.ToString();
    }

    /// <summary>
    /// Latencies on one linear axis with ticks and units: next to the chain's seconds the bank's
    /// milliseconds are a sliver — that is the contrast, shown as it is (a log scale hid it).
    /// </summary>
    public static string Latency(IReadOnlyList<(string Experiment, LatencySeries Series)> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        const int rowHeight = 34, left = 300, barWidth = 560, top = 20;
        var max = Math.Max(1, series.Max(s => Math.Max(s.Series.P50Ms, s.Series.P99Ms)));
        var step = NiceStep(max / 5);
        var axisMax = Math.Ceiling(max / step) * step;
        double W(double ms) => Math.Max(1, barWidth * ms / axisMax); // at least a pixel: a 2 ms bar is still there
        var axisY = top + series.Count * rowHeight + 4;
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {left + barWidth + 260} {axisY + 30}\" style=\"width:100%;max-width:{left + barWidth + 260}px;height:auto\" font-family=\"system-ui,sans-serif\" font-size=\"12\">");
        for (var i = 0; i < series.Count; i++)
        {
            var (experiment, s) = series[i];
            var y = top + i * rowHeight;
            var color = s.System switch { "bank" => "#2a6fb0", ScenarioResult.ReplicatedSystem => "#2a8a6f", _ => "#d98c1f" };
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
