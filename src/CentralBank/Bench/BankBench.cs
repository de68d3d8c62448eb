using System.CommandLine;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.CentralBank.Hosting;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Measurement;
using LiteDB;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LedgerContrast.CentralBank.Bench;

/// <summary>
/// `bank bench`: a load generator that drives a real bank server over gRPC on loopback and
/// reports durable transfers/s and latency, as a ratio to a raw in-process LiteDB loop (100
/// transfers per transaction) measured in the same run, because this machine is shared and noisy.
/// </summary>
public static class BankBench
{
    public sealed record RunResult(string Name, int Clients, long Succeeded, long Refused, double Seconds, double PerSecond, double P50Ms, double P99Ms, double AverageBatch);

    public static Command Command(Option<bool> json)
    {
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 64 };
        var accounts = new Option<int>("--accounts") { Description = "Accounts to spread transfers over.", DefaultValueFactory = _ => 1000 };
        var seconds = new Option<double>("--seconds") { Description = "Length of each run.", DefaultValueFactory = _ => 10 };
        var command = new Command("bench", "Measure a self-hosted bank over gRPC on loopback: uniform and hot-account load, against a raw LiteDB baseline.") { clients, accounts, seconds };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = new CliOutput(parse.GetValue(json));
            return await output.RunAsync("bank", () => "this machine", async () =>
            {
            var report = await RunAsync(parse.GetValue(clients), parse.GetValue(accounts), TimeSpan.FromSeconds(parse.GetValue(seconds)), cancellation).ConfigureAwait(false);
            return output.Success(report, console =>
            {
                var table = new Table().AddColumns("Run", "Clients", "OK", "Refused", "Transfers/s", "Ratio to raw LiteDB", "p50 ms", "p99 ms", "Avg batch");
                foreach (var run in report.Runs)
                {
                    table.AddRow(run.Name, $"{run.Clients}", $"{run.Succeeded}", $"{run.Refused}", $"{run.PerSecond:F0}",
                        $"{run.PerSecond / report.BaselinePerSecond:F2}", $"{run.P50Ms:F2}", $"{run.P99Ms:F2}", $"{run.AverageBatch:F1}");
                }
                console.Write(table);
                console.MarkupLineInterpolated($"Raw LiteDB baseline (100 transfers per transaction, in process): {report.BaselinePerSecond:F0} transfers/s. Hot account lost updates: {report.HotAccountLostUpdates}.");
            });
            }).ConfigureAwait(false);
        });
        return command;
    }

    public sealed record Report(double BaselinePerSecond, IReadOnlyList<RunResult> Runs, long HotAccountLostUpdates);

    public static async Task<Report> RunAsync(int clients, int accountCount, TimeSpan duration, CancellationToken cancellation)
    {
        var baseline = MeasureRawLiteDb(duration);
        var dataDirectory = Path.Combine(Path.GetTempPath(), "lc-bank-bench-" + Guid.NewGuid().ToString("N"));
        var adminToken = "bench-admin-" + Guid.NewGuid().ToString("N");
        var app = BankServer.Build(new BankServerOptions { DataDirectory = dataDirectory, Port = 0, AdminToken = adminToken });
        try
        {
            await app.StartAsync(cancellation).ConfigureAwait(false);
            using var channel = GrpcChannel.ForAddress(app.Urls.First());
            var bank = new BankService.BankServiceClient(channel);
            var headers = new Metadata { { "authorization", "Bearer " + adminToken } };
            var customer = await bank.CreateCustomerAsync(new CreateCustomerRequest { Name = "bench" }, headers, cancellationToken: cancellation);
            var accounts = new List<string>(accountCount);
            const long opening = 1_000_000_00000000;
            for (var i = 0; i < accountCount; i++)
            {
                var account = await bank.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId }, headers, cancellationToken: cancellation);
                await bank.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = opening, IdempotencyKey = "bench-open-" + account.AccountId }, headers, cancellationToken: cancellation);
                accounts.Add(account.AccountId);
            }
            var ledger = app.Services.GetRequiredService<BankLedger>();
            // Several HTTP/2 connections, as many independent clients would open: one connection
            // serialises every frame of all 64 streams and becomes the bottleneck.
            var channels = Enumerable.Range(0, Math.Max(1, clients / 8)).Select(_ => GrpcChannel.ForAddress(app.Urls.First())).ToList();
            var banks = channels.Select(c => new BankService.BankServiceClient(c)).ToList();
            var uniform = await LoadAsync("uniform", banks, headers, ledger, clients, duration, random => (accounts[random.Next(accounts.Count)], accounts[random.Next(accounts.Count)])).ConfigureAwait(false);
            var hot = accounts[0];
            var hotBefore = (await bank.GetBalanceAsync(new GetBalanceRequest { AccountId = hot }, headers, cancellationToken: cancellation)).Balance;
            var hotRun = await LoadAsync("hot account", banks, headers, ledger, clients, duration, random => (hot, accounts[1 + random.Next(accounts.Count - 1)])).ConfigureAwait(false);
            var hotAfter = (await bank.GetBalanceAsync(new GetBalanceRequest { AccountId = hot }, headers, cancellationToken: cancellation)).Balance;
            // Each hot transfer moved exactly 1 minor unit out of the hot account.
            var lostUpdates = hotBefore - hotRun.Succeeded - hotAfter;
            channels.ForEach(c => c.Dispose());
            return new Report(baseline, [uniform, hotRun], lostUpdates);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            TryDelete(dataDirectory);
        }
    }

    private static async Task<RunResult> LoadAsync(string name, List<BankService.BankServiceClient> banks, Metadata headers, BankLedger ledger,
        int clients, TimeSpan duration, Func<Random, (string From, string To)> pick)
    {
        var latencies = new List<double>[clients];
        long succeeded = 0, refused = 0;
        var batchesBefore = ledger.BatchesCommitted;
        var stopwatch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(async client =>
        {
            var random = new Random(client);
            var bank = banks[client % banks.Count];
            var mine = latencies[client] = new List<double>(100_000);
            var sequence = 0;
            while (stopwatch.Elapsed < duration)
            {
                var (from, to) = pick(random);
                if (from == to)
                {
                    continue;
                }
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await bank.TransferAsync(new TransferRequest { FromAccountId = from, ToAccountId = to, Amount = 1, IdempotencyKey = $"{name.Replace(' ', '-')}-{client}-{sequence++}" },
                        headers, DateTime.UtcNow.AddSeconds(30)).ResponseAsync.ConfigureAwait(false);
                    Interlocked.Increment(ref succeeded);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref refused);
                }
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var p = Percentiles.Of(latencies.SelectMany(l => l), 0.50, 0.99);
        var batches = Math.Max(1, ledger.BatchesCommitted - batchesBefore);
        return new RunResult(name, clients, succeeded, refused, seconds, succeeded / seconds, p[0], p[1], (double)(succeeded + refused) / batches);
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
            TryDelete(directory);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
