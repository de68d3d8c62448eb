namespace LedgerContrast.Contrast.Scenarios;

/// <summary>One row of the side-by-side table: a dimension of docs/ARCHITECTURE.md §1 and what each system did.</summary>
public sealed record Verdict(string Dimension, string Bank, string Chain);

/// <summary>A block in the drawn block tree of the partition experiment.</summary>
public sealed record TreeBlock(string Hash, uint Height, string Parent, bool Active, bool HoldsReversedPayment);

/// <summary>Latencies of one system in one experiment, for the charts.</summary>
public sealed record LatencySeries(string System, string Label, double P50Ms, double P99Ms);

/// <summary>What one experiment measured: the verdict rows, every figure (for report.json), and its drawings.</summary>
public sealed class ScenarioResult(string name)
{
    public string Name { get; } = name;
    public bool Passed { get; set; } = true;
    public List<Verdict> Verdicts { get; } = [];
    public Dictionary<string, object?> Bank { get; } = [];
    public Dictionary<string, object?> Chain { get; } = [];
    public List<string> Notes { get; } = [];
    public List<TreeBlock> BlockTree { get; } = [];
    public List<LatencySeries> Latencies { get; } = [];
    public double Seconds { get; set; }

    /// <summary>Records an expectation: a failed one marks the experiment failed and is noted.</summary>
    public void Expect(bool holds, string what)
    {
        if (!holds)
        {
            Passed = false;
            Notes.Add("UNEXPECTED: " + what);
        }
    }
}
