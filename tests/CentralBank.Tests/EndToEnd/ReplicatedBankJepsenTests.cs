using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Rpc;
using LedgerContrast.TestSupport;
using Xunit.Abstractions;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

/// <summary>
/// Jepsen-style: three real replicas, 16 clients sending idempotent transfers and recording every
/// outcome, and a nemesis that kills the leader (kill -9), kills a follower, and pauses the leader
/// (SIGSTOP, the split-brain trap: it wakes up believing it leads) round after round. Then every
/// acknowledged transfer must be in every replica's journal exactly once, every request whose
/// answer was lost must have been applied once or not at all (its retry says which), balances must
/// equal a model built from the outcomes, and every replica's audit must pass with one anchor.
/// </summary>
public sealed class ReplicatedBankJepsenTests(ITestOutputHelper output)
{
    private const int Clients = 16;
    private const int Accounts = 8;
    private const int Rounds = 12;
    private const long Funding = 1_000_000;

    private readonly ConcurrentDictionary<string, (TransferRequest Request, EntryReply Reply)> _acknowledged = new();
    private readonly ConcurrentDictionary<string, TransferRequest> _unknown = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _killedAtMs = long.MaxValue;
    private long _firstFreshAckTicks;

    [Fact]
    public async Task Every_acknowledged_transfer_is_on_every_replica_exactly_once_through_leader_kills_follower_kills_and_a_paused_leader()
    {
        await using var bank = await ReplicatedBank.StartAsync();
        var admin = bank.Client();
        var customer = await admin.CreateCustomerAsync(new CreateCustomerRequest { Name = "jepsen" });
        var accounts = new List<string>();
        for (var i = 0; i < Accounts; i++)
        {
            var account = await admin.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId });
            await admin.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = Funding, IdempotencyKey = "fund-" + account.AccountId });
            accounts.Add(account.AccountId);
        }

        using var stop = new CancellationTokenSource();
        // Half the clients follow the leader as the CLI does (FailoverInvoker retries a lost
        // answer with the same key); the other half talk to one replica at a time and never retry,
        // so a leader that dies mid-call leaves them an answer lost.
        var load = Enumerable.Range(0, Clients).Select(c => Task.Run(() => ClientAsync(bank, c, accounts, stop.Token))).ToList();
        var failovers = new List<double>();
        var pauses = new List<double>();
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                await AcknowledgedAtLeastAsync(_acknowledged.Count + 50, TimeSpan.FromSeconds(60));
                var leader = await bank.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
                switch (round % 3)
                {
                    case 0:
                        failovers.Add(await TimeFailoverAsync(() => bank.Kill(leader)));
                        await bank.StartReplicaAsync(leader);
                        break;
                    case 1:
                        var follower = Enumerable.Range(1, 3).First(r => r != leader);
                        bank.Kill(follower);
                        await AcknowledgedAtLeastAsync(_acknowledged.Count + 20, TimeSpan.FromSeconds(30));
                        await bank.StartReplicaAsync(follower);
                        break;
                    default:
                        pauses.Add(await TimeFailoverAsync(() => bank.Pause(leader)));
                        var successor = await bank.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
                        Assert.NotEqual(leader, successor);
                        await AcknowledgedAtLeastAsync(_acknowledged.Count + 20, TimeSpan.FromSeconds(30));
                        bank.Resume(leader);
                        break;
                }
                await bank.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        await bank.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        var headBefore = (await bank.StatusAsync(await bank.WaitForLeaderAsync(TimeSpan.FromSeconds(30))))!.HeadSequence;

        // A lost answer is resolved by retrying with the same key: the stored outcome (a sequence
        // already in the journal) or, if it never happened, a first execution now (a new one).
        var model = accounts.ToDictionary(a => a, _ => Funding);
        var appliedBefore = 0;
        foreach (var request in _unknown.Values)
        {
            var reply = await Poll.UntilSuccessAsync(async () => await admin.TransferAsync(request), TimeSpan.FromSeconds(30));
            appliedBefore += reply.Sequence <= headBefore ? 1 : 0;
            Move(model, request);
        }
        // Every acknowledged request, retried, gets its original receipt back: it happened once.
        await Parallel.ForEachAsync(_acknowledged.Values, new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (acked, _) =>
        {
            var replay = await Poll.UntilSuccessAsync(async () => await admin.TransferAsync(acked.Request), TimeSpan.FromSeconds(30));
            Assert.Equal(acked.Reply, replay);
        });
        foreach (var (request, _) in _acknowledged.Values)
        {
            Move(model, request);
        }
        Assert.Equal(_acknowledged.Count, _acknowledged.Values.Select(a => a.Reply.Sequence).Distinct().Count());
        await bank.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));

        var anchors = new HashSet<string>();
        for (var replica = 1; replica <= 3; replica++)
        {
            var direct = bank.Direct(replica);
            var audit = await direct.AuditAsync(new AuditRequest(), deadline: DateTime.UtcNow.AddMinutes(2));
            Assert.True(audit.Ok, $"replica {replica}: {string.Join("; ", audit.Problems)}");
            Assert.Equal((ulong)(Accounts + _acknowledged.Count + _unknown.Count), audit.Entries);
            anchors.Add($"{audit.HeadSequence}:{audit.HeadHash}");
            var journal = await OutgoingTransfersAsync(direct, accounts);
            foreach (var (request, reply) in _acknowledged.Values)
            {
                Assert.True(journal.Remove(reply.Sequence, out var posted), $"replica {replica} lacks acknowledged entry {reply.EntryId}");
                Assert.Equal((request.FromAccountId, request.Amount), posted);
            }
            Assert.Equal(_unknown.Count, journal.Count);
            foreach (var account in accounts)
            {
                var balance = await direct.GetBalanceAsync(new GetBalanceRequest { AccountId = account, StaleOk = true });
                Assert.Equal(model[account], balance.Balance);
            }
        }
        Assert.Single(anchors);

        failovers.Sort();
        pauses.Sort();
        output.WriteLine($"{_acknowledged.Count} acknowledged, {_unknown.Count} answers lost ({appliedBefore} of them had been applied, {_unknown.Count - appliedBefore} had not), {Rounds} rounds; " +
            $"failover (kill -9 of the leader to the first receipt for a transfer the next leader executed) over {failovers.Count} kills: p50 {failovers[failovers.Count / 2]:F0} ms, max {failovers[^1]:F0} ms; " +
            $"after SIGSTOP of the leader over {pauses.Count} pauses: p50 {pauses[pauses.Count / 2]:F0} ms, max {pauses[^1]:F0} ms");
    }

    private async Task ClientAsync(ReplicatedBank bank, int id, List<string> accounts, CancellationToken stop)
    {
        var random = new Random(id);
        var following = id % 2 == 0;
        var client = following ? bank.Client() : null;
        var replica = 1 + id % 3;
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var from = random.Next(accounts.Count);
            var request = new TransferRequest
            {
                FromAccountId = accounts[from],
                ToAccountId = accounts[(from + 1 + random.Next(accounts.Count - 1)) % accounts.Count],
                Amount = 1 + random.Next(10),
                IdempotencyKey = $"jepsen-{id}-{n}",
            };
            try
            {
                var reply = await (client ?? bank.Direct(replica)).TransferAsync(request, deadline: DateTime.UtcNow.AddSeconds(following ? 5 : 1), cancellationToken: CancellationToken.None);
                _acknowledged[request.IdempotencyKey] = (request, reply);
                if (reply.CommittedMs >= (ulong)Interlocked.Read(ref _killedAtMs))
                {
                    Interlocked.CompareExchange(ref _firstFreshAckTicks, _clock.Elapsed.Ticks, 0);
                }
            }
            catch (RpcException ex)
            {
                var detail = RpcErrors.Describe(ex);
                Assert.True(ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Cancelled,
                    $"a transfer was refused for a reason that is not a fault: {detail.Reason}");
                if (detail.Reason == "NOT_LEADER")
                {
                    // Surely not executed: a follower refuses before it looks at the request.
                    replica = detail.Metadata.TryGetValue("leader", out var leader) ? 1 + bank.Urls.ToList().IndexOf(leader) : 1 + replica % 3;
                    continue;
                }
                _unknown[request.IdempotencyKey] = request;
                replica = 1 + replica % 3;
            }
        }
    }

    private async Task AcknowledgedAtLeastAsync(int count, TimeSpan timeout) =>
        await Poll.UntilAsync(() => _acknowledged.Count >= count, timeout, () => $"{_acknowledged.Count} of {count} acknowledged");

    /// <summary>
    /// Injects the fault (kill -9 or SIGSTOP of the leader) and returns the milliseconds until a client holds a receipt for a transfer
    /// the next leader executed (its entry's time is after the kill): the downtime clients see.
    /// Answers the dead leader had already sent, still arriving, do not count.
    /// </summary>
    private async Task<double> TimeFailoverAsync(Action fault)
    {
        Interlocked.Exchange(ref _firstFreshAckTicks, 0);
        var killed = _clock.Elapsed;
        Interlocked.Exchange(ref _killedAtMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        fault();
        await Poll.UntilAsync(() => Interlocked.Read(ref _firstFreshAckTicks) != 0, TimeSpan.FromSeconds(30), () => "no transfer was acknowledged by a new leader");
        Interlocked.Exchange(ref _killedAtMs, long.MaxValue);
        return (TimeSpan.FromTicks(Interlocked.Read(ref _firstFreshAckTicks)) - killed).TotalMilliseconds;
    }

    private static void Move(Dictionary<string, long> model, TransferRequest request)
    {
        model[request.FromAccountId] -= request.Amount;
        model[request.ToAccountId] += request.Amount;
    }

    /// <summary>Every outgoing transfer posting in a replica's journal, by sequence: (source account, amount).</summary>
    private static async Task<Dictionary<ulong, (string, long)>> OutgoingTransfersAsync(BankService.BankServiceClient replica, List<string> accounts)
    {
        var found = new Dictionary<ulong, (string, long)>();
        foreach (var account in accounts)
        {
            ulong before = 0;
            do
            {
                var page = await replica.GetHistoryAsync(new GetHistoryRequest { AccountId = account, PageSize = 500, BeforeSequence = before, StaleOk = true });
                foreach (var posting in page.Postings.Where(p => p.Kind == "TRANSFER" && p.Amount < 0))
                {
                    Assert.True(found.TryAdd(posting.Sequence, (account, -posting.Amount)), $"entry {posting.EntryId} is listed twice");
                }
                before = page.NextBeforeSequence;
            }
            while (before != 0);
        }
        return found;
    }
}
