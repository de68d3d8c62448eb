using System.CommandLine;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Measurement;
using LedgerContrast.Shared.Rpc;
using LiteDB;
using Spectre.Console;

namespace LedgerContrast.CentralBank.Bench;

/// <summary>
/// `bank bench`: a load generator that drives a real bank server over gRPC on loopback and
/// reports durable transfers/s and latency as a ratio to a raw in-process LiteDB loop.
/// <para>
/// This machine is shared and noisy, so one pair of figures can mislead (a baseline once ran
/// during a load spike and came out slower than the full server). The baseline and both loads
/// therefore alternate, round after round, each ratio is taken within its own round, and the
/// report gives the median and the spread. The server is a process of its own — `bank serve`
/// started here, or an existing one with <c>--server</c> — so its CPU seconds per 1,000
/// transfers are measured apart from the clients'.
/// </para>
/// </summary>
public static class BankBench
{
    /// <summary>The RPC layer's own ceiling, measured beside the transfers: the same clients reading balances.</summary>
    public const string BalanceReads = "balance reads (no writer)";

    public sealed record Options(int Clients, int Accounts, TimeSpan Duration, int Rounds, TimeSpan Warmup, string? Server = null, string? AdminToken = null, int Replicas = 1);

    /// <summary>One measured load run. CPU is per 1,000 transfers; the server's is null when it is not our child.</summary>
    public sealed record RunResult(string Name, int Round, int Clients, long Succeeded, long Refused, double Seconds, double PerSecond,
        double RatioToRaw, double P50Ms, double P99Ms, double P999Ms, double MaxMs, double? ServerCpuSecondsPer1000, double ClientCpuSecondsPer1000);

    /// <summary>The median over rounds, and the lowest and highest, of one load.</summary>
    public sealed record Summary(string Name, double PerSecond, double PerSecondMin, double PerSecondMax, double RatioToRaw, double RatioMin, double RatioMax,
        double P50Ms, double P99Ms, double P999Ms, double MaxMs, double? ServerCpuSecondsPer1000, double ClientCpuSecondsPer1000);

    public sealed record Report(string Server, int Cores, int Rounds, double SecondsPerRun, double WarmupSeconds, IReadOnlyList<double> RawPerSecond, double RawMedian,
        IReadOnlyList<RunResult> Runs, IReadOnlyList<Summary> Summaries, long HotAccountLostUpdates, double[]? LoadAverageBefore, double[]? LoadAverageAfter,
        Redundancy? Replicated = null)
    {
        /// <summary>Why a figure of this run should not be taken at its word (see <see cref="CautionsFor"/>); empty when none applies.</summary>
        public IReadOnlyList<string> Cautions => CautionsFor(RawPerSecond, Summaries, Cores, LoadAverageBefore);
    }

    /// <summary>A raw baseline whose rounds differ by more than this factor says the machine's speed changed during the run.</summary>
    public const double RawSpreadLimit = 1.25;

    /// <summary>
    /// The reasons a run's ratios and rates are not to be trusted as they stand: the raw baseline's
    /// rounds disagreeing widely (the machine changed speed mid-run), the machine loaded beyond its
    /// cores before the run, and a load faster than the raw loop (said, not hidden: the raw loop is
    /// one thread at 100 transfers per transaction, a yardstick, not a ceiling).
    /// </summary>
    public static IReadOnlyList<string> CautionsFor(IReadOnlyList<double> raws, IReadOnlyList<Summary> summaries, int cores, double[]? loadBefore)
    {
        ArgumentNullException.ThrowIfNull(raws);
        ArgumentNullException.ThrowIfNull(summaries);
        var cautions = new List<string>();
        if (raws.Count > 1 && raws.Min() > 0 && raws.Max() / raws.Min() > RawSpreadLimit)
        {
            cautions.Add($"The raw LiteDB baseline ran at {raws.Min():F0}–{raws.Max():F0} transfers/s in different rounds (more than {RawSpreadLimit:F2}× apart): the machine's speed changed during the run, so compare loads within a round, not across runs; run again when the machine is quieter.");
        }
        // Before only: the bench's own load raises the average after it.
        if (loadBefore is { Length: > 0 } && loadBefore[0] > cores)
        {
            cautions.Add($"The machine's load average was {loadBefore[0]:F2} on {cores} cores before the run: other work shared the CPU, so rates are lower than this bank can do.");
        }
        foreach (var fast in summaries.Where(s => s.RatioToRaw > 1 && s.Name != BalanceReads))
        {
            cautions.Add($"'{fast.Name}' ran at {fast.RatioToRaw:F2}× the raw loop: the server commits more transfers per LiteDB transaction than the raw loop's 100 (or the raw rounds ran while the machine was slower); the raw loop is a yardstick, not a ceiling.");
        }
        return cautions;
    }

    /// <summary>The replicated bank beside the single one, round by round: its uniform rate as a share of the single server's in the same round.</summary>
    public sealed record Redundancy(int Replicas, string Server, IReadOnlyList<double> RatioToSingle, double RatioMedian, double RatioMin, double RatioMax);

    /// <summary>The name of the replicated bank's uniform run.</summary>
    public static string ReplicatedUniform(int replicas) => $"uniform, {replicas} replicas";

    public static Command Command(Option<bool> json)
    {
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 64 };
        var accounts = new Option<int>("--accounts") { Description = "Accounts to spread transfers over.", DefaultValueFactory = _ => 1000 };
        var seconds = new Option<double>("--seconds") { Description = "Length of each run.", DefaultValueFactory = _ => 10 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of raw baseline, uniform and hot-account runs, alternating; medians are reported.", DefaultValueFactory = _ => 3 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of unmeasured load first, at least; for a bank started here, load goes on until its JIT compiler has settled (under 3% of its CPU over 2 s; at most 60 s). 0: none.", DefaultValueFactory = _ => 3 };
        var server = new Option<string?>("--server") { Description = "Drive this bank (e.g. http://127.0.0.1:7100) instead of starting one; its CPU is then not measured." };
        var token = new Option<string?>("--token") { Description = "The admin token of --server (default: $BANK_TOKEN)." };
        var replicas = new Option<int>("--replicas") { Description = "Also start a replicated bank of this many replicas (Raft, on loopback) and measure its uniform load right after the single server's, each round: the cost of redundancy. 1: none.", DefaultValueFactory = _ => 1 };
        var command = new Command("bench", "Measure a bank over gRPC on loopback: uniform and hot-account load, alternating with a raw LiteDB baseline.") { clients, accounts, seconds, rounds, warmup, server, token, replicas };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = new CliOutput(parse.GetValue(json));
            var serverUrl = parse.GetValue(server);
            return await output.RunAsync("bank", () => serverUrl ?? "the bank bench started", async () =>
            {
                var options = new Options(parse.GetValue(clients), parse.GetValue(accounts), TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(rounds),
                    TimeSpan.FromSeconds(parse.GetValue(warmup)), serverUrl, parse.GetValue(token) ?? Environment.GetEnvironmentVariable("BANK_TOKEN"), parse.GetValue(replicas));
                Validate(options);
                // Progress on stderr as each run ends (stdout stays the table or the JSON): a full bench takes minutes.
                var report = await RunAsync(options, cancellation, line => Console.Error.WriteLine("bench: " + line)).ConfigureAwait(false);
                return output.Success(report, console => Print(console, report));
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static void Validate(Options options)
    {
        if (options.Clients < 1 || options.Accounts < 2 || options.Rounds < 1 || options.Duration <= TimeSpan.Zero || options.Warmup < TimeSpan.Zero)
        {
            throw new CliException("INVALID_ARGUMENT", "--clients and --rounds must be at least 1, --accounts at least 2, --seconds more than 0 and --warmup not negative.");
        }
        if (options.Replicas is < 1 or > Replication.ReplicaSet.MaxReplicas)
        {
            throw new CliException("INVALID_ARGUMENT", $"--replicas must be 1 to {Replication.ReplicaSet.MaxReplicas}.");
        }
        if (options.Server is not null && string.IsNullOrEmpty(options.AdminToken))
        {
            throw new CliException("MISSING_TOKEN", "Driving --server needs its admin token: give --token or set BANK_TOKEN.");
        }
    }

    private static void Print(IAnsiConsole console, Report report)
    {
        var table = new Table().AddColumns("Load", "Per second (median)", "min–max", "Ratio to raw LiteDB", "min–max", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "Server CPU s per 1,000", "Clients' CPU s per 1,000");
        foreach (var s in report.Summaries)
        {
            table.AddRow(s.Name, $"{s.PerSecond:F0}", $"{s.PerSecondMin:F0}–{s.PerSecondMax:F0}", $"{s.RatioToRaw:F2}", $"{s.RatioMin:F2}–{s.RatioMax:F2}",
                $"{s.P50Ms:F2}", $"{s.P99Ms:F2}", $"{s.P999Ms:F1}", $"{s.MaxMs:F0}", s.ServerCpuSecondsPer1000 is { } cpu ? $"{cpu:F3}" : "not measured", $"{s.ClientCpuSecondsPer1000:F3}");
        }
        console.Write(table);
        console.MarkupLineInterpolated($"Raw LiteDB loop (in process, one thread, 100 transfers per transaction): median {report.RawMedian:F0} transfers/s over {report.Rounds} rounds ({string.Join(", ", report.RawPerSecond.Select(r => r.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}).");
        console.MarkupLineInterpolated($"Warm-up: {report.WarmupSeconds:F0} s of unmeasured load{(report.Server.Contains("started here", StringComparison.Ordinal) ? ", until the server's JIT compiler used under 3% of its CPU" : "")}.");
        if (report.Replicated is { } r)
        {
            console.MarkupLineInterpolated($"Redundancy: {r.Replicas} replicas ({r.Server}) did {r.RatioMedian:F2}× the single server's uniform transfers/s (median of {r.RatioToSingle.Count} rounds, each measured right after the single server's; {r.RatioMin:F2}–{r.RatioMax:F2}).");
        }
        foreach (var caution in report.Cautions)
        {
            console.MarkupLineInterpolated($"[yellow]Caution: {caution}[/]");
        }
        console.MarkupLineInterpolated($"{report.Runs[0].Clients} clients, {report.SecondsPerRun:F0} s per run, runs alternating raw → uniform → hot → reads; server: {report.Server}; {report.Cores} cores, load average {report.LoadAverageBefore?[0]:F2} before, {report.LoadAverageAfter?[0]:F2} after. Hot account lost updates: {report.HotAccountLostUpdates}.");
    }

    /// <param name="progress">Told a line as the server starts, the warm-up ends and each run ends.</param>
    public static async Task<Report> RunAsync(Options options, CancellationToken cancellation, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var say = progress ?? (_ => { });
        say(options.Server is null ? "starting a bank server of its own…" : $"driving {options.Server}…");
        var loadBefore = MachineLoad.Now();
        await using var server = options.Server is null ? await BenchServer.StartAsync(cancellation).ConfigureAwait(false) : BenchServer.External(options.Server, options.AdminToken!);
        var headers = new Metadata { { "authorization", "Bearer " + server.AdminToken } };
        // Several HTTP/2 connections, as many independent clients would open: one connection
        // serialises every frame of all 64 streams and becomes the bottleneck.
        var channels = Enumerable.Range(0, Math.Max(1, options.Clients / 8)).Select(_ => GrpcChannel.ForAddress(server.Url)).ToList();
        var disposables = new List<IAsyncDisposable>();
        try
        {
            var banks = channels.Select(c => new BankService.BankServiceClient(c)).ToList();
            var accounts = await OpenAccountsAsync(banks, headers, options.Accounts, cancellation).ConfigureAwait(false);
            var hot = accounts[0];
            var load = new LoadGenerator(banks, headers, options.Clients, Guid.NewGuid().ToString("N")[..8]);
            var warmedUp = TimeSpan.Zero;
            if (options.Warmup > TimeSpan.Zero)
            {
                warmedUp = await WarmUpAsync(load, server, options.Warmup, accounts).ConfigureAwait(false);
                say($"warmed up in {warmedUp.TotalSeconds:F0} s of unmeasured load");
                MeasureRawLiteDb(options.Warmup);
            }
            Replicated? replicated = null;
            if (options.Replicas > 1)
            {
                say($"starting a replicated bank of {options.Replicas} replicas…");
                replicated = await Replicated.StartAsync(options, cancellation).ConfigureAwait(false);
                disposables.Add(replicated);
                if (options.Warmup > TimeSpan.Zero)
                {
                    await WarmUpAsync(replicated.Load, replicated.Server, options.Warmup, replicated.Accounts).ConfigureAwait(false);
                }
            }
            var ratios = new List<double>();
            var raws = new List<double>();
            var runs = new List<RunResult>();
            long lostUpdates = 0;
            for (var round = 1; round <= options.Rounds; round++)
            {
                var raw = MeasureRawLiteDb(options.Duration);
                say($"round {round} of {options.Rounds}: raw LiteDB loop {raw:F0} transfers/s");
                raws.Add(raw);
                var uniform = await MeasureAsync("uniform", round, raw, server, load, options.Duration, random => Uniform(random, accounts)).ConfigureAwait(false);
                runs.Add(uniform);
                say(Said(uniform));
                if (replicated is not null)
                {
                    var copies = await MeasureAsync(ReplicatedUniform(options.Replicas), round, raw, replicated.Server, replicated.Load, options.Duration,
                        random => Uniform(random, replicated.Accounts)).ConfigureAwait(false);
                    runs.Add(copies);
                    say(Said(copies));
                    ratios.Add(copies.PerSecond / uniform.PerSecond);
                }
                var hotBefore = (await banks[0].GetBalanceAsync(new GetBalanceRequest { AccountId = hot }, headers, cancellationToken: cancellation)).Balance;
                var hotRun = await MeasureAsync("hot account", round, raw, server, load, options.Duration, random => HotAccount(random, accounts)).ConfigureAwait(false);
                runs.Add(hotRun);
                say(Said(hotRun));
                var hotAfter = (await banks[0].GetBalanceAsync(new GetBalanceRequest { AccountId = hot }, headers, cancellationToken: cancellation)).Balance;
                // Each hot transfer moved exactly 1 minor unit out of the hot account.
                lostUpdates += hotBefore - hotRun.Succeeded - hotAfter;
                runs.Add(await MeasureAsync(BalanceReads, round, raw, server, load,
                    () => load.ReadAsync($"reads-{round}", options.Duration, random => AnyAccount(random, accounts))).ConfigureAwait(false));
                say(Said(runs[^1]));
            }
            var summaries = runs.GroupBy(r => r.Name).Select(Summarise).ToList();
            var redundancy = replicated is null ? null : new Redundancy(options.Replicas, replicated.Server.Description, ratios, Median(ratios), ratios.Min(), ratios.Max());
            return new Report(server.Description, Environment.ProcessorCount, options.Rounds, options.Duration.TotalSeconds, warmedUp.TotalSeconds, raws, Median(raws), runs, summaries, lostUpdates, loadBefore, MachineLoad.Now(),
                redundancy);
        }
        finally
        {
            channels.ForEach(c => c.Dispose());
            foreach (var disposable in disposables)
            {
                await disposable.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static string Said(RunResult run) =>
        $"round {run.Round}: {run.Name} {run.PerSecond:F0}/s ({run.RatioToRaw:F2}× raw), p50 {run.P50Ms:F2} ms, p99 {run.P99Ms:F2} ms";

    /// <summary>Load until the server is done compiling: see <see cref="WarmUpAsync"/>.</summary>
    public static readonly TimeSpan MaxWarmup = TimeSpan.FromSeconds(60);

    /// <summary>The JIT compiler's share of the server's CPU over a warm-up slice below which the server counts as warm.</summary>
    public const double SettledCompilerShare = JitCompiler.SettledShare;

    /// <summary>
    /// Unmeasured load (uniform, hot account and reads in turn, so each path is compiled) for at least
    /// <paramref name="minimum"/>, and, for a server started here, until its JIT compiler used under
    /// <see cref="SettledCompilerShare"/> of its CPU over the last slice, at most <see cref="MaxWarmup"/>.
    /// Why: after a 3-s warm-up the compiler still took a quarter of the server's CPU samples in
    /// the first 5 s of the first measured run (perf: 233–345 of ~1,000 a second), so round 1
    /// measured the JIT, not the bank. Returns how long it took.
    /// </summary>
    private static async Task<TimeSpan> WarmUpAsync(LoadGenerator load, BenchServer server, TimeSpan minimum, List<string> accounts)
    {
        var slice = minimum < TimeSpan.FromSeconds(2) ? minimum : TimeSpan.FromSeconds(2);
        var started = Stopwatch.StartNew();
        for (var i = 0; ; i++)
        {
            var (cpuBefore, compilerBefore) = (server.CpuTime(), server.CompilerCpuTime());
            var name = $"warmup-{i}"; // each slice its own keys: a repeated key would only replay
            var run = (i % 3) switch
            {
                0 => load.RunAsync(name, slice, random => Uniform(random, accounts)),
                1 => load.RunAsync(name, slice, random => HotAccount(random, accounts)),
                _ => load.ReadAsync(name, slice, random => AnyAccount(random, accounts)),
            };
            await run.ConfigureAwait(false);
            var settled = (server.CpuTime() - cpuBefore, server.CompilerCpuTime() - compilerBefore) switch
            {
                ({ } cpu, { } compiler) when cpu > TimeSpan.Zero => compiler / cpu < SettledCompilerShare,
                _ => true, // not observable: the minimum alone
            };
            if (started.Elapsed >= minimum && settled || started.Elapsed >= MaxWarmup)
            {
                return started.Elapsed;
            }
        }
    }

    private static (string From, string To) Uniform(Random random, List<string> accounts) =>
        (AnyAccount(random, accounts), AnyAccount(random, accounts));

    /// <summary>From the hot account (the first) to any other.</summary>
    private static (string From, string To) HotAccount(Random random, List<string> accounts) =>
        (accounts[0], accounts[1 + random.Next(accounts.Count - 1)]);

    private static string AnyAccount(Random random, List<string> accounts) => accounts[random.Next(accounts.Count)];

    private static Task<RunResult> MeasureAsync(string name, int round, double raw, BenchServer server, LoadGenerator load, TimeSpan duration, Func<Random, (string From, string To)> pick) =>
        MeasureAsync(name, round, raw, server, load, () => load.RunAsync($"{name}-{round}", duration, pick));

    private static async Task<RunResult> MeasureAsync(string name, int round, double raw, BenchServer server, LoadGenerator load, Func<Task<LoadGenerator.Outcome>> run)
    {
        var serverCpu = server.CpuTime();
        var clientCpu = Environment.CpuUsage.TotalTime;
        var result = await run().ConfigureAwait(false);
        var per1000 = Math.Max(1, result.Succeeded + result.Refused) / 1000.0;
        double? serverSeconds = server.CpuTime() is { } after && serverCpu is { } before ? (after - before).TotalSeconds / per1000 : null;
        var clientSeconds = (Environment.CpuUsage.TotalTime - clientCpu).TotalSeconds / per1000;
        var perSecond = result.Succeeded / result.Seconds;
        return new RunResult(name, round, load.Clients, result.Succeeded, result.Refused, result.Seconds, perSecond, perSecond / raw,
            result.P50Ms, result.P99Ms, result.P999Ms, result.MaxMs, serverSeconds, clientSeconds);
    }

    private static Summary Summarise(IGrouping<string, RunResult> runs)
    {
        var rates = runs.Select(r => r.PerSecond).ToList();
        var ratios = runs.Select(r => r.RatioToRaw).ToList();
        var cpu = runs.Select(r => r.ServerCpuSecondsPer1000).OfType<double>().ToList();
        return new Summary(runs.Key, Median(rates), rates.Min(), rates.Max(), Median(ratios), ratios.Min(), ratios.Max(),
            Median([.. runs.Select(r => r.P50Ms)]), Median([.. runs.Select(r => r.P99Ms)]), Median([.. runs.Select(r => r.P999Ms)]), runs.Max(r => r.MaxMs), cpu.Count == 0 ? null : Median(cpu),
            Median([.. runs.Select(r => r.ClientCpuSecondsPer1000)]));
    }

    private static double Median(List<double> values) => Percentiles.Of(values, 0.5)[0];

    /// <summary>One customer with many accounts, each funded, opened by 16 callers at once (each open and deposit is a durable batch).</summary>
    private static async Task<List<string>> OpenAccountsAsync(List<BankService.BankServiceClient> banks, Metadata headers, int count, CancellationToken cancellation)
    {
        const long opening = 1_000_000_00000000;
        var customer = await banks[0].CreateCustomerAsync(new CreateCustomerRequest { Name = "bench" }, headers, cancellationToken: cancellation);
        var accounts = new string[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
        {
            var bank = banks[worker % banks.Count];
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var account = await bank.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId }, headers, cancellationToken: cancellation);
                await bank.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = opening, IdempotencyKey = "bench-open-" + account.AccountId }, headers, cancellationToken: cancellation);
                accounts[i] = account.AccountId;
            }
        })).ConfigureAwait(false);
        return [.. accounts];
    }

    /// <summary>The raw library ceiling: 2 reads, 2 updates, 1 insert per transfer, 100 per transaction, one thread, no server.</summary>
    public static double MeasureRawLiteDb(TimeSpan duration)
    {
        var directory = Path.Combine(Path.GetTempPath(), "lc-litedb-baseline-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            using var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(directory, "raw.db"), Connection = ConnectionType.Direct });
            var accounts = db.GetCollection("accounts");
            var journal = db.GetCollection("journal");
            for (var i = 0; i < 1000; i++)
            {
                accounts.Insert(new BsonDocument { ["_id"] = i, ["balance"] = 1_000_000_000L });
            }
            var random = new Random(1);
            long transfers = 0;
            var stopwatch = Stopwatch.StartNew();
            while (stopwatch.Elapsed < duration)
            {
                db.BeginTrans();
                for (var i = 0; i < 100; i++)
                {
                    var from = accounts.FindById(random.Next(1000));
                    var to = accounts.FindById(random.Next(1000));
                    from["balance"] = from["balance"].AsInt64 - 1;
                    to["balance"] = to["balance"].AsInt64 + 1;
                    accounts.Update(from);
                    accounts.Update(to);
                    journal.Insert(new BsonDocument { ["from"] = from["_id"], ["to"] = to["_id"], ["amount"] = 1L });
                }
                db.Commit();
                transfers += 100;
            }
            return transfers / stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            BenchServer.TryDelete(directory);
        }
    }

    /// <summary>The replicated bank of a bench run: its processes, funded accounts and clients that follow its leader.</summary>
    private sealed class Replicated : IAsyncDisposable
    {
        private readonly List<FailoverInvoker> _invokers;

        private Replicated(BenchServer server, List<FailoverInvoker> invokers, List<string> accounts, LoadGenerator load) =>
            (Server, _invokers, Accounts, Load) = (server, invokers, accounts, load);

        public BenchServer Server { get; }
        public List<string> Accounts { get; }
        public LoadGenerator Load { get; }

        public static async Task<Replicated> StartAsync(Options options, CancellationToken cancellation)
        {
            var server = await BenchServer.StartReplicatedAsync(options.Replicas, cancellation).ConfigureAwait(false);
            var invokers = Enumerable.Range(0, Math.Max(1, options.Clients / 8)).Select(_ => new FailoverInvoker(server.Urls)).ToList();
            try
            {
                var headers = new Metadata { { "authorization", "Bearer " + server.AdminToken } };
                var banks = invokers.Select(i => new BankService.BankServiceClient(i)).ToList();
                var accounts = await OpenAccountsAsync(banks, headers, options.Accounts, cancellation).ConfigureAwait(false);
                return new Replicated(server, invokers, accounts, new LoadGenerator(banks, headers, options.Clients, Guid.NewGuid().ToString("N")[..8]));
            }
            catch
            {
                invokers.ForEach(i => i.Dispose());
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _invokers.ForEach(i => i.Dispose());
            await Server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
