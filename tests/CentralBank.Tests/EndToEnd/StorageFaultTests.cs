using LedgerContrast.Shared.Storage;
using Grpc.Core;
using LedgerContrast.CentralBank.Storage;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.TestSupport;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

/// <summary>The failing disk, injected (TigerBeetle-style) and real (a full tmpfs).</summary>
public class StorageFaultTests
{
    [Fact]
    public async Task A_storage_failure_after_commit_stops_the_bank_and_the_retry_after_restart_is_applied_once()
    {
        var faults = new FailingFlush();
        await using var bank = await TestBank.StartAsync(options => options with { StorageFaults = faults });
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000);
        var pay = new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 100, IdempotencyKey = "pay-once" };

        faults.Armed = true; // the fsync after this transfer's commit fails
        var failed = await Refusal.Of(() => alice.Client.TransferAsync(pay));

        // Never "nothing was changed": the commit may be on disk. The caller is told to retry with its key.
        Assert.Equal((StatusCode.Unavailable, "LEDGER_STOPPED"), (failed.Status, failed.Reason));
        Assert.Contains("same idempotency key", failed.Message);
        await Poll.UntilAsync(() => bank.Stopping.IsCancellationRequested, TimeSpan.FromSeconds(10));
        Assert.False(bank.Ledger.IsHealthy);
        Assert.NotNull(bank.Ledger.Fatal);

        await using var restarted = await bank.RestartAsync(options => options with { StorageFaults = null });
        var customer = restarted.Client(alice.Token);
        var retry = await customer.TransferAsync(pay);
        var again = await customer.TransferAsync(pay);

        Assert.Equal(retry.EntryId, again.EntryId);
        Assert.Equal(900, await restarted.BalanceAsync(a));
        Assert.Equal(100, await restarted.BalanceAsync(b));
        var audit = await restarted.AuditAsync();
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
        // Still serving: the next transfer gets the next sequence, not a duplicate key.
        var next = await customer.TransferAsync(new TransferRequest(pay) { IdempotencyKey = "next", Amount = 1 });
        Assert.Equal(retry.Sequence + 1, next.Sequence);
    }

    [Fact]
    public async Task A_storage_failure_before_commit_refuses_the_batch_changes_nothing_and_the_bank_keeps_serving()
    {
        var faults = new FailingWrite();
        await using var bank = await TestBank.StartAsync(options => options with { StorageFaults = faults });
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000);

        faults.Armed = true;
        var full = await Refusal.Of(() => alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 100, IdempotencyKey = "k" }));
        var paid = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 100, IdempotencyKey = "k" });

        Assert.Equal((StatusCode.ResourceExhausted, "STORAGE_FULL"), (full.Status, full.Reason));
        Assert.Contains("nothing was changed", full.Message);
        Assert.Equal(900, await bank.BalanceAsync(a));
        Assert.True(bank.Ledger.IsHealthy);
        Assert.True((await bank.AuditAsync()).Ok);
        Assert.NotEmpty(paid.EntryId);
    }

    [Fact]
    public async Task A_full_writer_queue_refuses_new_requests_with_OVERLOADED_and_a_retry_hint_and_the_audit_still_runs()
    {
        using var stall = new StallingWrite();
        await using var bank = await TestBank.StartAsync(options => options with { StorageFaults = stall, MaxQueuedCommands = 5 });
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000);
        TransferRequest Pay(int i) => new() { FromAccountId = a, ToAccountId = b, Amount = 1, IdempotencyKey = $"p{i}" };

        stall.Armed = true;
        var held = alice.Client.TransferAsync(Pay(0)).ResponseAsync; // the writer takes it and stalls in storage
        await stall.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var waiting = Enumerable.Range(1, 5).Select(i => alice.Client.TransferAsync(Pay(i)).ResponseAsync).ToList();
        await Poll.UntilAsync(() => bank.Ledger.QueuedCommands == 5, TimeSpan.FromSeconds(30));
        var refused = await Refusal.Of(() => alice.Client.TransferAsync(Pay(6)));

        // Reads and the audit do not wait for the writer: the audit reads a snapshot on its own thread.
        var audit = await bank.AuditAsync().WaitAsync(TimeSpan.FromSeconds(30));
        stall.Release();
        await held;
        await Task.WhenAll(waiting);

        Assert.Equal((StatusCode.ResourceExhausted, "OVERLOADED"), (refused.Status, refused.Reason));
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
        Assert.Equal(1_000 - 6, await bank.BalanceAsync(a));
    }

    [TmpfsFact]
    public async Task On_a_full_disk_writes_are_refused_with_STORAGE_FULL_reads_go_on_and_writes_resume_when_space_returns()
    {
        using var disk = Tmpfs.Mount(megabytes: 48);
        await using var bank = await TestBank.StartAsync(SmallDisk, directory: Path.Combine(disk.Path, "bank"));
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000);

        var filler = disk.FillLeaving(bytes: 1024 * 1024);
        var refused = await Refusal.Of(() => alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 1, IdempotencyKey = "while-full" }));

        Assert.Equal((StatusCode.ResourceExhausted, "STORAGE_FULL"), (refused.Status, refused.Reason));
        Assert.Equal(1_000, await bank.BalanceAsync(a)); // reads go on
        Assert.True((await bank.AuditAsync()).Ok); // and so does the audit
        Assert.True(bank.Ledger.IsHealthy);

        File.Delete(filler);
        var paid = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 1, IdempotencyKey = "while-full" });
        Assert.Equal(999, paid.FromBalance);
    }

    [TmpfsFact]
    public async Task A_bank_restarted_on_a_full_disk_comes_up_read_only_instead_of_crash_looping()
    {
        using var disk = Tmpfs.Mount(megabytes: 48);
        var directory = Path.Combine(disk.Path, "bank");
        await using var bank = await TestBank.StartAsync(SmallDisk, directory);
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000);
        await bank.StopAsync();
        var filler = disk.FillLeaving(bytes: 512 * 1024);

        await using var restarted = await TestBank.StartAsync(SmallDisk, directory);
        var customer = restarted.Client(alice.Token);
        var refused = await Refusal.Of(() => customer.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 1, IdempotencyKey = "k" }));

        Assert.Equal("STORAGE_FULL", refused.Reason);
        Assert.Equal(1_000, (await customer.GetBalanceAsync(new GetBalanceRequest { AccountId = a })).Balance);
        File.Delete(filler);
        Assert.Equal(999, (await customer.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 1, IdempotencyKey = "k" })).FromBalance);
    }

    private static Hosting.BankServerOptions SmallDisk(Hosting.BankServerOptions options) =>
        options with { MinFreeBytes = 8L * 1024 * 1024, ReserveBytes = 2L * 1024 * 1024 };

    /// <summary>Fails the fsync that follows a commit, once armed: the file holds the batch, memory does not.</summary>
    private sealed class FailingFlush : IStorageFaultInjector
    {
        public volatile bool Armed;

        public void Before(StorageStep step)
        {
            if (Armed && step == StorageStep.Flush)
            {
                Armed = false;
                throw new IOException("fsync failed (injected)");
            }
        }
    }

    /// <summary>Fails the batch before its commit with what a full disk says, once armed.</summary>
    private sealed class FailingWrite : IStorageFaultInjector
    {
        public volatile bool Armed;

        public void Before(StorageStep step)
        {
            if (Armed && step == StorageStep.Write)
            {
                Armed = false;
                throw new IOException("No space left on device (injected)", 28);
            }
        }
    }
}
