using LedgerContrast.TestSupport;
using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

/// <summary>
/// Durability, proven on the real process: kill -9 the server in the middle of concurrent load,
/// restart it, and every transfer it acknowledged is there exactly once.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly string _data = TempDirectory.NewPath("lc-bank-crash-");
    private readonly string _token = "crash-admin-" + Guid.NewGuid().ToString("N");

    [Fact]
    public Task Every_acknowledged_transfer_survives_kill_9_exactly_once_and_the_audit_passes() =>
        // Past the first materialization of balances (4,096 entries after an account changed, set
        // here: the default waits 16,384), so the restart finds balances both in their collection
        // and only in the journal.
        KillMidLoadAndCheckAsync(4_500, "--materialize-after", "4096");

    /// <summary>
    /// The log is swapped for its spare at every checkpoint (RenamedLogStream); checkpointing every
    /// few pages puts the kill among swaps: a log just renamed in, a spare being zero-filled.
    /// </summary>
    [Fact]
    public async Task Every_acknowledged_transfer_survives_kill_9_while_the_log_is_swapped_every_few_pages()
    {
        await KillMidLoadAndCheckAsync(1_500, "--checkpoint-pages", "4");
    }

    private async Task KillMidLoadAndCheckAsync(int enough, params string[] serverOptions)
    {
        List<string> accounts = [];
        var acknowledged = new ConcurrentDictionary<string, (TransferRequest Request, EntryReply Reply)>();
        long attempts = 0;
        using (var server = await BankProcess.StartAsync(_data, _token, serverOptions))
        {
            var bank = Connect(server.Url);
            var customer = await bank.CreateCustomerAsync(new CreateCustomerRequest { Name = "load" });
            for (var i = 0; i < 8; i++)
            {
                var account = await bank.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId });
                await bank.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = 1_000_000, IdempotencyKey = "open-" + account.AccountId });
                accounts.Add(account.AccountId);
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var clients = Enumerable.Range(0, 16).Select(client => Task.Run(async () =>
            {
                var random = new Random(client);
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var from = random.Next(accounts.Count);
                    var request = new TransferRequest
                    {
                        FromAccountId = accounts[from],
                        ToAccountId = accounts[(from + 1 + random.Next(accounts.Count - 1)) % accounts.Count],
                        Amount = 1 + random.Next(10),
                        IdempotencyKey = $"crash-{client}-{n}",
                    };
                    Interlocked.Increment(ref attempts);
                    try
                    {
                        var reply = await bank.TransferAsync(request, deadline: DateTime.UtcNow.AddSeconds(10));
                        acknowledged[request.IdempotencyKey] = (request, reply);
                    }
                    catch (RpcException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToList();

            while (acknowledged.Count < enough && !stop.IsCancellationRequested)
            {
                await Task.Delay(10);
            }
            Assert.False(stop.IsCancellationRequested, $"the load never reached {enough} acknowledged transfers");
            server.KillHard(); // mid-load: clients are still sending
            await Task.WhenAll(clients);
        }
        if (serverOptions.Length > 0)
        {
            var log = Path.Combine(_data, "bank-log.db");
            Assert.True(File.Exists(log + ".spare") || File.Exists(log + ".retired"), "the log was never swapped");
        }

        using var restarted = await BankProcess.StartAsync(_data, _token);
        var after = Connect(restarted.Url);
        foreach (var (key, (request, reply)) in acknowledged)
        {
            // The retry of an acknowledged request must find its stored outcome, not execute again:
            // the same receipt, balances included.
            var replay = await after.TransferAsync(request);
            Assert.Equal(reply, replay);
        }

        var transferEntries = new List<string>();
        foreach (var account in accounts)
        {
            ulong before = 0;
            do
            {
                var page = await after.GetHistoryAsync(new GetHistoryRequest { AccountId = account, PageSize = 500, BeforeSequence = before });
                transferEntries.AddRange(page.Postings.Where(p => p.Kind == "TRANSFER" && p.Amount < 0).Select(p => p.EntryId));
                before = page.NextBeforeSequence;
            }
            while (before != 0);
        }
        Assert.Equal(transferEntries.Count, transferEntries.Distinct().Count());
        Assert.Superset(acknowledged.Values.Select(a => a.Reply.EntryId).ToHashSet(), transferEntries.ToHashSet());
        Assert.True(transferEntries.Count <= attempts);

        var audit = await after.AuditAsync(new AuditRequest());
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
        Assert.Equal(8 * 1_000_000, audit.TotalBalances);
    }

    private BankService.BankServiceClient Connect(string url) =>
        new(GrpcChannel.ForAddress(url).CreateCallInvoker().Intercept(m => { m.Add("authorization", "Bearer " + _token); return m; }));

    public void Dispose()
    {
        TempDirectory.Delete(_data);
    }
}
