using System.Globalization;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Measurement;

namespace LedgerContrast.Contrast.Lab;

public sealed record LabCustomer(string Name, string CustomerId, string AccountId, string Token);

/// <summary>What the scenarios do at the bank: fresh customers with known balances, so every run starts clean.</summary>
public static class BankLab
{
    public static async Task<LabCustomer> NewCustomerAsync(ILabBank lab, string name, long deposit)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var admin = lab.RequireAdmin();
        var unique = $"{name}-{Guid.NewGuid().ToString("N")[..6]}";
        var customer = await admin.CreateCustomerAsync(new CreateCustomerRequest { Name = unique });
        var account = await admin.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId });
        if (deposit > 0)
        {
            await admin.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = deposit, IdempotencyKey = Guid.NewGuid().ToString("N") });
        }
        return new LabCustomer(unique, customer.CustomerId, account.AccountId, customer.Token);
    }

    public static async Task<List<LabCustomer>> NewCustomersAsync(ILabBank lab, string prefix, int count, long deposit)
    {
        var customers = new List<LabCustomer>(count);
        for (var i = 0; i < count; i++)
        {
            customers.Add(await NewCustomerAsync(lab, $"{prefix}-{i}", deposit).ConfigureAwait(false));
        }
        return customers;
    }

    /// <summary>
    /// <paramref name="clients"/> clients, each with its own connection and customer, transferring
    /// 1 minor unit to the next customer (of at least clients + 1, so one client has someone to
    /// pay) one request at a time for <paramref name="duration"/>: the transfers that succeeded,
    /// the seconds it took, and every request's latency.
    /// </summary>
    public static Task<LoadResult> TransferLoadAsync(ILabBank lab, IReadOnlyList<LabCustomer> customers, int clients, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(clients + 1, customers.Count);
        // Keys unique to this call: a key reused from an earlier load on the same customers would
        // be answered from the idempotency store (the first outcome, nothing moved) and counted.
        var run = Guid.NewGuid().ToString("N")[..8];
        var connections = customers.Take(clients).Select(c => lab.Client(c.Token)).ToArray();
        return LoadResult.RunAsync(clients, duration, async (i, n) =>
        {
            var from = customers[i];
            var to = customers[(i + 1) % customers.Count].AccountId;
            await connections[i].TransferAsync(new TransferRequest { FromAccountId = from.AccountId, ToAccountId = to, Amount = 1, IdempotencyKey = $"load-{run}-{n}-{from.CustomerId}" }, deadline: DateTime.UtcNow.AddSeconds(10));
        });
    }

    /// <summary>Each slice of <see cref="WarmUpAsync"/>'s load, and so its shortest warm-up.</summary>
    public static readonly TimeSpan WarmUpSlice = TimeSpan.FromSeconds(2);

    /// <summary>The longest warm-up: a machine this slow measures its compiler whatever we do.</summary>
    public static readonly TimeSpan MaxWarmUp = TimeSpan.FromSeconds(30);

    /// <summary>What a measured bank load of the lab ran under, said beside its figures.</summary>
    public static string Conditions(WarmUp warmUp) => string.Create(CultureInfo.InvariantCulture,
        $"the network's miners paused, after an unmeasured warm-up load of {warmUp.Seconds:0} s {(warmUp.Settled ? "until the bank's JIT compiler used < 3% of its CPU and two slices in a row ran within 10% of each other" : $"(not yet steady after {MaxWarmUp.TotalSeconds:0} s: the figure may include compiling)")}, on this machine beside the clients");

    /// <summary>
    /// An unmeasured load first, in slices, until the JIT compiler of every bank server used under
    /// 3% of its process's CPU over the last slice (as bank bench does) and the last two slices'
    /// rates were within 10% of each other: a freshly started bank's first seconds of load measure
    /// its compiler and its start-up work, not the server (seen: 16 clients on a new bank got
    /// 1,786/s, and 4,934/s in the next run; its compiler took 40–80% of its CPU for 12 s).
    /// </summary>
    public static async Task<WarmUp> WarmUpAsync(ILabBank lab, IReadOnlyList<LabCustomer> customers, int clients)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var processes = lab.ServerProcessIds;
        double? previous = null;
        double? firstShare = null;
        while (true)
        {
            var before = processes.Select(JitCompiler.Read).ToList();
            var rate = (await TransferLoadAsync(lab, customers, clients, WarmUpSlice).ConfigureAwait(false)).Rate.PerSecond;
            var after = processes.Select(JitCompiler.Read).ToList();
            firstShare ??= JitCompiler.LargestShare(before, after);
            var steady = previous is { } last && Math.Abs(rate - last) <= 0.1 * Math.Max(rate, last);
            previous = rate;
            var settled = steady && JitCompiler.Settled(before, after, JitCompiler.SettledShare);
            if (settled || clock.Elapsed >= MaxWarmUp)
            {
                return new WarmUp(clock.Elapsed.TotalSeconds, settled, firstShare);
            }
        }
    }

    /// <summary>How long a warm-up loaded the bank, and whether its compiler had settled by then.</summary>
    /// <param name="FirstSliceCompilerShare">The largest share of a server's CPU its compiler took in the first slice (null where unreadable).</param>
    public readonly record struct WarmUp(double Seconds, bool Settled, double? FirstSliceCompilerShare = null);

    /// <summary>
    /// <paramref name="racers"/> transfers of <paramref name="amount"/> from one customer, to the
    /// payees in turn, released at the same moment (each waits on one signal): each one's reason
    /// ("OK" or the refusal's) and how long its answer took.
    /// </summary>
    public static async Task<(string Reason, double Ms)[]> RaceTransfersAsync(LabNetwork lab, LabCustomer from, IReadOnlyList<LabCustomer> payees, int racers, long amount)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(payees);
        var client = lab.Bank(from.Token);
        var gun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racing = Enumerable.Range(0, racers).Select(i => Task.Run(async () =>
        {
            await gun.Task.ConfigureAwait(false);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                await client.TransferAsync(new TransferRequest { FromAccountId = from.AccountId, ToAccountId = payees[i % payees.Count].AccountId, Amount = amount, IdempotencyKey = Guid.NewGuid().ToString("N") });
                return (Reason: "OK", Ms: clock.Elapsed.TotalMilliseconds);
            }
            catch (Grpc.Core.RpcException ex)
            {
                return (Reason: Shared.Rpc.RpcErrors.Describe(ex).Reason, Ms: clock.Elapsed.TotalMilliseconds);
            }
        })).ToList();
        gun.SetResult();
        return await Task.WhenAll(racing).ConfigureAwait(false);
    }

    /// <summary>One transfer of 1 minor unit; "ok" or the refusal's reason (a client that must not throw while it measures).</summary>
    public static async Task<string> TransferOutcomeAsync(BankService.BankServiceClient client, LabCustomer from, LabCustomer to, string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        try
        {
            await client.TransferAsync(new TransferRequest { FromAccountId = from.AccountId, ToAccountId = to.AccountId, Amount = 1, IdempotencyKey = idempotencyKey }, deadline: DateTime.UtcNow.AddSeconds(2));
            return "ok";
        }
        catch (Grpc.Core.RpcException ex)
        {
            return Shared.Rpc.RpcErrors.Describe(ex).Reason;
        }
    }

    /// <summary>
    /// What a client lived through while the bank was stopped (by <paramref name="stop"/>), kept
    /// down for <paramref name="keptDown"/> and started again: one client transferring 1 minor unit
    /// every 50 ms (2 s deadline) between two new customers. All times are on the request log's clock.
    /// </summary>
    public static async Task<BankRestart> RestartUnderLoadAsync(LabNetwork lab, Progress progress, string name, Action<NetworkFile.NetworkProcess> stop, TimeSpan keptDown)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(stop);
        var alice = await NewCustomerAsync(lab, $"{name}-alice", 1_000_00000000).ConfigureAwait(false);
        var bob = await NewCustomerAsync(lab, $"{name}-bob", 0).ConfigureAwait(false);
        var client = lab.Bank(alice.Token);
        var bankProcess = lab.File.Bank!;
        await using var log = new RequestLog(n => TransferOutcomeAsync(client, alice, bob, $"{name}-{n}-{Guid.NewGuid():N}"));
        await Task.Delay(500).ConfigureAwait(false); // the client gets going before the stop
        var stopping = log.Now;
        stop(bankProcess);
        // Down from when the stop returned, or from the last request served before it (a clean
        // stop serves what is in flight): a request sent earlier and answered later proves nothing.
        var downAt = Math.Max(stopping, log.Entries.Where(e => e.Outcome == "ok").Select(e => e.SentMs).DefaultIfEmpty(stopping).Max());
        await Task.Delay(keptDown).ConfigureAwait(false);
        var restartedAt = log.Now;
        lab.Restart(bankProcess);
        await progress.UntilAsync("the bank serving again", async () => await HealthProbe.IsServingAsync(bankProcess.Url, TimeSpan.FromSeconds(1)).ConfigureAwait(false), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var servingAt = log.Now;
        await progress.UntilAsync("a client transfer sent after the stop succeeding", () => Task.FromResult(log.SucceededSince(downAt)), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var audit = await lab.RequireAdmin().AuditAsync(new AuditRequest()).ConfigureAwait(false);
        return new BankRestart(log.Entries, downAt, restartedAt, servingAt, log.DowntimeSince(downAt), audit.Ok);
    }

    public const string RestartClient = "1 client, one transfer at a time, 50 ms apart, 2 s deadline";
}

/// <summary>One bank restart as its client saw it (milliseconds on the request log's clock).</summary>
public sealed record BankRestart(IReadOnlyList<(double SentMs, double DoneMs, string Outcome)> Requests, double DownAt, double RestartedAt, double ServingAt, double Downtime, bool AuditOk)
{
    public IReadOnlyList<(double SentMs, double DoneMs, string Outcome)> Failures => [.. Requests.Where(r => r.Outcome != "ok")];
}
