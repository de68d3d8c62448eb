using System.Diagnostics;
using System.Text.Json;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Crypto;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// What one `chain light sync --json` said: its exit code, its JSON (the sync's findings, or an
/// error with a reason), how long the process ran from start to exit, and what its wallet kept on disk.
/// </summary>
public sealed record LightSyncRun(int ExitCode, JsonElement Json, double Seconds, long BytesOnDisk)
{
    public bool Succeeded => ExitCode == 0 && Json.TryGetProperty("confirmed", out _);

    /// <summary>The balance it showed, in minor units (0 when it showed none).</summary>
    public long ConfirmedMinorUnits => Succeeded ? Shared.Money.Amount.Parse(Json.GetProperty("confirmed").GetString()!).MinorUnits : 0;

    public string? Reason => Json.TryGetProperty("error", out var error) ? error.GetProperty("reason").GetString() : null;

    /// <summary>The nodes it named as caught lying about filters or blocks, with what it caught.</summary>
    public Dictionary<string, string> Caught => NodeField("filters").Where(n => n.Value.StartsWith("caught", StringComparison.Ordinal)).ToDictionary();

    /// <summary>The nodes whose headers it refused, with why.</summary>
    public Dictionary<string, string> HeadersRefused => NodeField("headers_refused").Where(n => n.Value.Length > 0).ToDictionary();

    private IEnumerable<KeyValuePair<string, string>> NodeField(string field) =>
        Succeeded ? Json.GetProperty("nodes").EnumerateArray().Select(n => KeyValuePair.Create(n.GetProperty("node").GetString()!,
            n.GetProperty(field).ValueKind == JsonValueKind.String ? n.GetProperty(field).GetString()! : "")) : [];
}

/// <summary>
/// A light wallet run as its user runs it: the `chain light sync` command of the executable the
/// network's nodes run, as its own process, each time from a fresh wallet directory (its key
/// only: no headers, no findings), so every run starts from nothing.
/// </summary>
public sealed class LightWallet(IReadOnlyList<string> executable, IReadOnlyList<string> nodeParameters, string directory, string name, PrivateKey key)
{
    private int _runs;

    /// <summary>
    /// The consensus options of a node's command line (--network, --regtest, --coinbase-maturity,
    /// --block-interval), which `chain light` takes as the nodes were started.
    /// </summary>
    public static List<string> ParametersOf(IReadOnlyList<string> nodeCommand)
    {
        ArgumentNullException.ThrowIfNull(nodeCommand);
        var parameters = new List<string>();
        for (var i = 0; i < nodeCommand.Count; i++)
        {
            if (nodeCommand[i] == "--regtest")
            {
                parameters.Add("--regtest");
            }
            else if (nodeCommand[i] is "--network" or "--coinbase-maturity" or "--block-interval" && i + 1 < nodeCommand.Count)
            {
                parameters.AddRange([nodeCommand[i], nodeCommand[++i]]);
            }
        }
        return parameters;
    }

    public async Task<LightSyncRun> SyncAsync(IEnumerable<string> nodeUrls)
    {
        var walletDir = Path.Combine(directory, $"run{Interlocked.Increment(ref _runs)}");
        Directory.CreateDirectory(walletDir);
        OwnerOnlyFile.CreateNew(Path.Combine(walletDir, name + ".json"),
            JsonSerializer.Serialize(new WalletStore.WalletFile(name, Convert.ToHexStringLower(key.ToBytes()), DateTimeOffset.UtcNow)));
        var start = new ProcessStartInfo(executable[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in executable.Skip(1).Concat(["light", "sync", "--wallet", name, "--wallet-dir", walletDir, "--nodes", string.Join(',', nodeUrls), "--json"]).Concat(nodeParameters))
        {
            start.ArgumentList.Add(arg);
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new CliException("LIGHT_WALLET_FAILED", "Could not start chain light sync.");
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new CliException("LIGHT_WALLET_FAILED", "chain light sync did not finish within 2 minutes.");
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var output = await stdout.ConfigureAwait(false);
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(output).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CliException("LIGHT_WALLET_FAILED", $"chain light sync exited {process.ExitCode} without JSON: {(await stderr.ConfigureAwait(false)).Trim()}");
        }
        return new LightSyncRun(process.ExitCode, json, seconds, DiskUsage.Of(Path.Combine(walletDir, name + ".light")));
    }
}
