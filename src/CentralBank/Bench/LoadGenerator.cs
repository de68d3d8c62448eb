using System.Diagnostics;
using Grpc.Core;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Measurement;

namespace LedgerContrast.CentralBank.Bench;

/// <summary>
/// Closed-loop clients: each sends one transfer of 1 minor unit, waits for the durable answer,
/// and sends the next, for a fixed time. Every key is unique, so every call does real work.
/// </summary>
internal sealed class LoadGenerator(List<BankService.BankServiceClient> banks, Metadata headers, int clients, string runId)
{
    public sealed record Outcome(long Succeeded, long Refused, double Seconds, double P50Ms, double P99Ms, double P999Ms, double MaxMs);

    public int Clients => clients;

    /// <summary>Transfers of 1 minor unit between the accounts <paramref name="pick"/> chooses.</summary>
    public Task<Outcome> RunAsync(string name, TimeSpan duration, Func<Random, (string From, string To)> pick) =>
        RunAsync(name, duration, async (bank, random, key) =>
        {
            var (from, to) = pick(random);
            if (from == to)
            {
                return false;
            }
            // No per-call deadline: each costs the client a timer, and the run is bounded by time anyway.
            await bank.TransferAsync(new TransferRequest { FromAccountId = from, ToAccountId = to, Amount = 1, IdempotencyKey = key }, headers).ResponseAsync.ConfigureAwait(false);
            return true;
        });

    /// <summary>Balance reads: the same gRPC path without the ledger writer — what the RPC layer alone costs.</summary>
    public Task<Outcome> ReadAsync(string name, TimeSpan duration, Func<Random, string> pick) =>
        RunAsync(name, duration, async (bank, random, _) =>
        {
            await bank.GetBalanceAsync(new GetBalanceRequest { AccountId = pick(random) }, headers).ResponseAsync.ConfigureAwait(false);
            return true;
        });

    /// <summary>Each client calls <paramref name="call"/> (false: nothing was sent) with a unique key, back to back, until the time is up.</summary>
    private async Task<Outcome> RunAsync(string name, TimeSpan duration, Func<BankService.BankServiceClient, Random, string, Task<bool>> call)
    {
        var latencies = new List<double>[clients];
        long succeeded = 0, refused = 0;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            var random = new Random(client);
            var bank = banks[client % banks.Count];
            var mine = latencies[client] = new List<double>(50_000);
            var sequence = 0;
            var prefix = $"{runId}-{new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')])}-{client}-"; // keys allow letters, digits, '-'
            while (stopwatch.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    if (!await call(bank, random, $"{prefix}{sequence++}").ConfigureAwait(false))
                    {
                        continue;
                    }
                    Interlocked.Increment(ref succeeded);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref refused);
                }
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })).ConfigureAwait(false);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var p = Percentiles.Of(latencies.SelectMany(l => l), 0.50, 0.99, 0.999, 1.0);
        return new Outcome(succeeded, refused, seconds, p[0], p[1], p[2], p[3]);
    }
}
