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
}
