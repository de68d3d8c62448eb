using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

/// <summary>The bank's files as the operating system sees them: who may open them, and what a checkpoint does to the log.</summary>
public class LogFileTests
{
    [Fact]
    public async Task A_checkpoint_swaps_the_log_for_a_zero_filled_spare_instead_of_truncating_it_and_a_restart_loses_nothing()
    {
        await using var bank = await TestBank.StartAsync(o => o with { CheckpointPages = 4 });
        var (alice, _, a, b) = await bank.AliceAndBobAsync(1_000);
        for (var i = 1; i <= 30; i++)
        {
            await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 1, IdempotencyKey = $"t-{i}" });
        }

        await bank.StopAsync();

        // The retired log became the spare, zero-filled: its blocks were kept, not freed.
        var spare = Path.Combine(bank.DataDirectory, "bank-log.db.spare");
        Assert.True(File.Exists(spare), "no spare log");
        var bytes = await File.ReadAllBytesAsync(spare);
        Assert.NotEmpty(bytes);
        Assert.DoesNotContain(bytes, b => b != 0);
        await using var restarted = await bank.RestartAsync();
        Assert.Equal(970, await restarted.BalanceAsync(a));
        Assert.Equal(30, await restarted.BalanceAsync(b));
        Assert.True((await restarted.AuditAsync()).Ok);
    }

    [Fact]
    public async Task A_second_process_on_a_live_data_directory_is_refused_in_one_sentence_and_changes_nothing()
    {
        await using var bank = await TestBank.StartAsync();
        var (_, _, a, _) = await bank.AliceAndBobAsync(500);

        var audit = await BankProcess.RunCliAsync(["audit", "--data", bank.DataDirectory]);
        var serve = await BankProcess.RunCliAsync(["serve", "--port", "0", "--data", bank.DataDirectory], new() { ["BANK_ADMIN_TOKEN"] = bank.AdminToken });

        foreach (var (exitCode, _, stderr) in new[] { audit, serve })
        {
            Assert.NotEqual(0, exitCode);
            Assert.Contains("being used by another process", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        Assert.Equal(500, await bank.BalanceAsync(a));
        Assert.True((await bank.AuditAsync()).Ok);
    }
}
