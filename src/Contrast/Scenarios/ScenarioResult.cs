using LedgerContrast.Shared.Measurement;
namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// One row of the side-by-side table: a dimension of docs/ARCHITECTURE.md §1 and what each system
/// did; <paramref name="Replicated"/> is the replicated bank's answer where the experiment measured
/// one (null: not measured).
/// </summary>
public sealed record Verdict(string Dimension, string Bank, string Chain, string? Replicated = null);

/// <summary>A block in the drawn block tree of the partition experiment: who mined it, and which payment it holds, if one of the story's.</summary>
public sealed record TreeBlock(string Hash, uint Height, string Parent, bool Active, string? MinedBy = null, string? Payment = null);

/// <summary>
/// One row of the latency chart: two marks, named for what they are — percentiles of
/// <paramref name="Samples"/> measurements, or two single events (first and k-th confirmation).
/// </summary>
public sealed record LatencySeries(string System, string Label, double P50Ms, double P99Ms, string FirstMark = "p50", string SecondMark = "p99", int Samples = 0)
{
    /// <summary>For percentiles of a few samples: the 99th of 10 measurements is their maximum, and is called that.</summary>
    public static LatencySeries Percentiles(string system, string label, IReadOnlyCollection<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var p = Shared.Measurement.Percentiles.Of(samples, 0.5, 0.99);
        return new LatencySeries(system, label, p[0], samples.Count < 100 ? samples.Max() : p[1], "p50", samples.Count < 100 ? "max" : "p99", samples.Count);
    }
}

/// <summary>One line of a curve: (x, y) points, e.g. (clients, transfers/s).</summary>
public sealed record CurveSeries(string Name, IReadOnlyList<double[]> Points);

/// <summary>A measured curve for the report: how a figure moves as the load or the network grows.</summary>
public sealed record Curve(string System, string Title, string XLabel, string YLabel, IReadOnlyList<CurveSeries> Series);

/// <summary>What one experiment measured: the verdict rows, every figure (for report.json), and its drawings.</summary>
public sealed class ScenarioResult(string name)
{
    /// <summary>The system name of the replicated bank's latency rows and curves (the report colours it apart).</summary>
    public const string ReplicatedSystem = "replicated bank";

    /// <summary>
    /// An experiment of one bank half and one chain half that make one row of the table: each half
    /// runs if the network has what it needs, and its verdict fills its side of the row.
    /// </summary>
    /// <param name="replicated">The replicated bank's half, run after the other two when the network has one (run-network.ps1 -BankReplicas).</param>
    public static async Task<ScenarioResult> RunBothAsync(Lab.LabNetwork lab, string name, string dimension,
        Func<Lab.LabNetwork, ScenarioResult, Lab.Progress, Task<string>> bank, Func<Lab.LabNetwork, ScenarioResult, Lab.Progress, Task<string>> chain,
        Func<Lab.ReplicatedLabBank, ScenarioResult, Lab.Progress, Task<string>>? replicated = null)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(chain);
        var result = new ScenarioResult(name);
        var progress = new Lab.Progress(name);
        var bankVerdict = lab.HasBank ? await bank(lab, result, progress).ConfigureAwait(false) : "(no bank in this network)";
        var chainVerdict = lab.Nodes.Count >= 2 ? await chain(lab, result, progress).ConfigureAwait(false) : "(needs 2 nodes)";
        var replicatedVerdict = replicated is not null && lab.Replicated is { } replicas ? await replicated(replicas, result, progress).ConfigureAwait(false) : null;
        result.Verdicts.Add(new Verdict(dimension, bankVerdict, chainVerdict, replicatedVerdict));
        result.Seconds = progress.Elapsed.TotalSeconds;
        result.Steps.AddRange(progress.Steps);
        return result;
    }

    public string Name { get; } = name;
    public bool Passed { get; set; } = true;
    public List<Verdict> Verdicts { get; } = [];
    public Dictionary<string, object?> Bank { get; } = [];
    public Dictionary<string, object?> Chain { get; } = [];

    /// <summary>The replicated bank's figures, where the experiment measured it.</summary>
    public Dictionary<string, object?> Replicated { get; } = [];
    public List<string> Notes { get; } = [];
    public List<TreeBlock> BlockTree { get; } = [];
    public List<LatencySeries> Latencies { get; } = [];
    public List<Curve> Curves { get; } = [];

    /// <summary>What was done and what happened, step by step, as the progress lines said it.</summary>
    public List<string> Steps { get; } = [];
    public double Seconds { get; set; }

    /// <summary>The machine the figures came from (cores, load before and after): a reader judges a rate by it.</summary>
    public MachineSnapshot? Machine { get; set; }

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

/// <summary>The machine an experiment ran on: cores, and the 1-minute load average before and after it.</summary>
public sealed record MachineSnapshot(int Cores, double? LoadBefore, double? LoadAfter)
{
    public string Describe() => LoadBefore is { } before && LoadAfter is { } after
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Cores} cores; 1-minute load average {before:F2} before, {after:F2} after")
        : $"{Cores} cores";
}
