using System.Text.Json;
using LedgerContrast.CentralBank.Bench;
using LedgerContrast.CentralBank.Tests.Harness;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

public class BenchTests
{
    [Fact]
    public async Task Bench_alternates_baseline_and_loads_over_its_own_bank_process_and_measures_that_process_cpu()
    {
        var (exit, stdout, stderr) = await BankProcess.RunCliAsync(
            ["bench", "--seconds", "0.5", "--rounds", "2", "--warmup", "0", "--accounts", "4", "--clients", "2", "--json"]);

        Assert.True(exit == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(2, report.GetProperty("raw_per_second").GetArrayLength());
        // Rounds alternate: uniform, hot account and the RPC layer's own ceiling once per round, each with its round's own ratio.
        var runs = report.GetProperty("runs").EnumerateArray().Select(r => (Name: r.GetProperty("name").GetString(), Round: r.GetProperty("round").GetInt32())).ToList();
        const string reads = "balance reads (no writer)";
        Assert.Equal([("uniform", 1), ("hot account", 1), (reads, 1), ("uniform", 2), ("hot account", 2), (reads, 2)], runs);
        foreach (var summary in report.GetProperty("summaries").EnumerateArray())
        {
            Assert.True(summary.GetProperty("per_second").GetDouble() > 0);
            Assert.True(summary.GetProperty("per_second_min").GetDouble() <= summary.GetProperty("per_second").GetDouble());
            Assert.True(summary.GetProperty("server_cpu_seconds_per1000").GetDouble() > 0, "the bank's own process CPU is measured");
        }
        Assert.Equal(0, report.GetProperty("hot_account_lost_updates").GetInt64());
        Assert.Contains("started here", report.GetProperty("server").GetString(), StringComparison.Ordinal);
        // Progress while it runs, on stderr (stdout is the JSON): every run as it ends.
        Assert.Contains("bench: round 2: hot account", stderr, StringComparison.Ordinal);
        Assert.Contains("bench: round 1 of 2: raw LiteDB loop", stderr, StringComparison.Ordinal);
        Assert.True(report.TryGetProperty("cautions", out _), "report.json says why its figures may mislead (an empty list when nothing does)");
    }

    [Fact]
    public void A_bench_whose_raw_baseline_moved_or_whose_machine_was_loaded_or_that_beat_the_raw_loop_says_so()
    {
        static BankBench.Summary Load(string name, double ratio) => new(name, 1000, 900, 1100, ratio, ratio, ratio, 1, 2, 3, 4, null, 0.1);
        var quiet = BankBench.CautionsFor([10_000, 11_000], [Load("uniform", 0.9), Load(BankBench.BalanceReads, 3.1)], cores: 2, [1.5, 1, 1]);
        Assert.Empty(quiet); // reads beat the raw loop by design: they write nothing

        var noisy = BankBench.CautionsFor([9_000, 20_000], [Load("uniform", 1.29)], cores: 2, [4.2, 3, 2]);
        Assert.Equal(3, noisy.Count);
        Assert.Contains("9000–20000 transfers/s in different rounds", noisy[0], StringComparison.Ordinal);
        Assert.Contains("load average was 4.20 on 2 cores before", noisy[1], StringComparison.Ordinal);
        Assert.Contains("'uniform' ran at 1.29× the raw loop", noisy[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_against_a_server_without_its_admin_token_is_refused_with_a_sentence()
    {
        var (exit, _, stderr) = await BankProcess.RunCliAsync(["bench", "--server", "http://127.0.0.1:9"], new() { ["BANK_TOKEN"] = null });

        Assert.Equal(3, exit);
        Assert.Contains("admin token", stderr, StringComparison.Ordinal);
    }
}
