using LedgerContrast.Contrast.Scenarios;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LedgerContrast.Contrast.Report;

/// <summary>
/// The side-by-side table for a terminal: each dimension as a heading and one line per system
/// beneath it, wrapped under its label, so it fits <see cref="Columns"/> columns however long the
/// figures (the whole table, column beside column, is report.md's and report.html's).
/// </summary>
public static class TerminalTable
{
    public const int Columns = 120;

    public static IRenderable Of(IReadOnlyList<Verdict> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var replicated = ContrastReport.HasReplicated(rows);
        var parts = new List<IRenderable>();
        foreach (var row in rows)
        {
            var cells = new Table().NoBorder().HideHeaders().Width(Columns)
                .AddColumn(new TableColumn("").Width(18).NoWrap())
                .AddColumn(new TableColumn(""));
            cells.AddRow(new Markup("[grey]bank[/]"), new Text(row.Bank));
            if (replicated)
            {
                cells.AddRow(new Markup("[grey]replicated bank[/]"), new Text(ContrastReport.ReplicatedCell(row)));
            }
            cells.AddRow(new Markup("[grey]chain[/]"), new Text(row.Chain));
            if (parts.Count > 0)
            {
                parts.Add(new Text(""));
            }
            parts.Add(new Markup($"[bold]{Markup.Escape(row.Dimension)}[/]"));
            parts.Add(cells);
        }
        return new Rows(parts);
    }
}
