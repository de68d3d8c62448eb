using Grpc.Core;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

/// <summary>Three real replicas on loopback: who may write, who may read, and what survives the leader.</summary>
public sealed class ReplicatedBankTests
{
    [Fact]
    public async Task A_follower_refuses_writes_and_fresh_reads_with_NOT_LEADER_naming_the_leader_and_answers_a_stale_read_when_asked()
    {
        await using var bank = await ReplicatedBank.StartAsync();
        var client = bank.Client();
        var customer = await client.CreateCustomerAsync(new CreateCustomerRequest { Name = "ada" });
        var account = await client.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId });
        await client.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = 500, IdempotencyKey = "d1" });
        var leader = await bank.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
        var follower = Enumerable.Range(1, 3).First(r => r != leader);
        await bank.WaitForConvergenceAsync(TimeSpan.FromSeconds(10));

        var write = await Assert.ThrowsAsync<RpcException>(async () =>
            await bank.Direct(follower).DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = 1, IdempotencyKey = "d2" }));
        var detail = RpcErrors.Describe(write);
        Assert.Equal(StatusCode.Unavailable, write.StatusCode);
        Assert.Equal("NOT_LEADER", detail.Reason);
        Assert.Equal(bank.Urls[leader - 1], detail.Metadata["leader"]);

        var fresh = await Assert.ThrowsAsync<RpcException>(async () =>
            await bank.Direct(follower).GetBalanceAsync(new GetBalanceRequest { AccountId = account.AccountId }));
        Assert.Equal("NOT_LEADER", RpcErrors.Describe(fresh).Reason);

        var stale = await bank.Direct(follower).GetBalanceAsync(new GetBalanceRequest { AccountId = account.AccountId, StaleOk = true });
        Assert.Equal(500, stale.Balance);
        var linearizable = await bank.Direct(leader).GetBalanceAsync(new GetBalanceRequest { AccountId = account.AccountId });
        Assert.Equal(500, linearizable.Balance);

        // The CLI: a plain read given the follower follows it to the leader; with --stale-ok the
        // follower answers by itself, even once it is the only replica left.
        var environment = new Dictionary<string, string?> { ["BANK_TOKEN"] = bank.AdminToken };
        var followed = await BankProcess.RunCliAsync(["balance", account.AccountId, "--server", bank.Urls[follower - 1], "--json"], environment);
        Assert.True(followed.ExitCode == 0, followed.Stdout + followed.Stderr);
        Assert.Contains("\"balance_minor\": 500", followed.Stdout, StringComparison.Ordinal);
        foreach (var other in Enumerable.Range(1, 3).Where(r => r != follower))
        {
            bank.Kill(other);
        }
        var staleCli = await BankProcess.RunCliAsync(["balance", account.AccountId, "--server", bank.Urls[follower - 1], "--stale-ok", "--json"], environment);
        Assert.True(staleCli.ExitCode == 0, staleCli.Stdout + staleCli.Stderr);
        Assert.Contains("\"balance_minor\": 500", staleCli.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transfer_acknowledged_before_the_leader_is_killed_is_on_every_replica_and_its_retry_on_the_new_leader_returns_the_original_receipt()
    {
        await using var bank = await ReplicatedBank.StartAsync();
        var client = bank.Client();
        var customer = await client.CreateCustomerAsync(new CreateCustomerRequest { Name = "grace" });
        var a = await client.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId });
        var b = await client.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId });
        await client.DepositAsync(new CashRequest { AccountId = a.AccountId, Amount = 1_000, IdempotencyKey = "fund" });
        var transfer = new TransferRequest { FromAccountId = a.AccountId, ToAccountId = b.AccountId, Amount = 250, IdempotencyKey = "pay-once" };
        var receipt = await client.TransferAsync(transfer);

        var leader = await bank.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
        bank.Kill(leader);
        var successor = await bank.WaitForLeaderAsync(TimeSpan.FromSeconds(20));
        Assert.NotEqual(leader, successor);

        var retried = await client.TransferAsync(transfer);
        Assert.Equal(receipt, retried);
        Assert.Equal(750, (await client.GetBalanceAsync(new GetBalanceRequest { AccountId = a.AccountId })).Balance);

        await bank.StartReplicaAsync(leader);
        await bank.WaitForConvergenceAsync(TimeSpan.FromSeconds(30));
        var anchors = new HashSet<string>();
        for (var replica = 1; replica <= 3; replica++)
        {
            var audit = await bank.Direct(replica).AuditAsync(new AuditRequest { ExpectSequence = receipt.Sequence, ExpectHash = receipt.EntryHash });
            Assert.True(audit.Ok, $"replica {replica}: {string.Join("; ", audit.Problems)}");
            Assert.Equal(2UL, audit.Entries);
            anchors.Add($"{audit.HeadSequence}:{audit.HeadHash}");
        }
        Assert.Single(anchors);
    }

    [Fact]
    public async Task A_replica_whose_log_is_damaged_refuses_to_start_with_a_sentence_and_recovers_from_a_copy_of_a_healthy_replica()
    {
        await using var bank = await ReplicatedBank.StartAsync();
        var client = bank.Client();
        var customer = await client.CreateCustomerAsync(new CreateCustomerRequest { Name = "linus" });
        var account = await client.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId });
        await client.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = 42, IdempotencyKey = "d" });
        await bank.WaitForConvergenceAsync(TimeSpan.FromSeconds(10));
        var leader = await bank.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
        var damaged = Enumerable.Range(1, 3).First(r => r != leader);
        var healthy = Enumerable.Range(1, 3).First(r => r != leader && r != damaged);
        bank.Kill(damaged);

        var page = Path.Combine(bank.DataDirectory(damaged), "raft", "data", "0");
        var bytes = await File.ReadAllBytesAsync(page);
        bytes[20] ^= 0xFF; // inside the first entry's payload
        await File.WriteAllBytesAsync(page, bytes);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => bank.StartReplicaAsync(damaged));
        Assert.Contains("Raft log", refused.Message, StringComparison.Ordinal);
        Assert.Contains("is damaged", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Message, StringComparison.Ordinal);

        bank.Kill(healthy);
        Directory.Delete(bank.DataDirectory(damaged), recursive: true);
        CopyDirectory(bank.DataDirectory(healthy), bank.DataDirectory(damaged));
        await bank.StartReplicaAsync(healthy);
        await bank.StartReplicaAsync(damaged);
        await client.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = 8, IdempotencyKey = "after" });
        await bank.WaitForConvergenceAsync(TimeSpan.FromSeconds(30));
        var balance = await bank.Direct(damaged).GetBalanceAsync(new GetBalanceRequest { AccountId = account.AccountId, StaleOk = true });
        Assert.Equal(50, balance.Balance);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var directory in Directory.GetDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }
}
