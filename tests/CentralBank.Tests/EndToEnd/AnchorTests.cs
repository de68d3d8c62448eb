using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

/// <summary>
/// Whoever can write bank.db can make the hash chain verify after any change; only an anchor
/// kept outside the file — a receipt's (sequence, entry hash) — catches that.
/// </summary>
public class AnchorTests
{
    [Fact]
    public async Task Deleting_the_newest_three_entries_passes_the_chain_but_is_detected_given_the_anchor()
    {
        await using var bank = await TestBank.StartAsync();
        var (receipt, _) = await PayFiveTimesAsync(bank);
        await bank.StopAsync();

        using (var forger = new JournalForger(bank.DataDirectory))
        {
            forger.DeleteNewest(3);
        }

        var withoutAnchor = await BankProcess.RunCliAsync(["audit", "--data", bank.DataDirectory]);
        var withAnchor = await BankProcess.RunCliAsync(["audit", "--data", bank.DataDirectory, "--expect", $"{receipt.Sequence}:{receipt.EntryHash}"]);

        Assert.Equal(0, withoutAnchor.ExitCode); // the attack is real: the chain alone cannot see it
        Assert.Equal(1, withAnchor.ExitCode);
        Assert.Contains($"the anchor names entry {receipt.EntryId}", withAnchor.Stderr);
        Assert.Contains("entries were deleted", withAnchor.Stderr);
    }

    [Fact]
    public async Task An_edited_and_rehashed_journal_passes_the_chain_but_the_online_audit_given_the_anchor_fails()
    {
        await using var bank = await TestBank.StartAsync();
        var (receipt, first) = await PayFiveTimesAsync(bank);
        await bank.StopAsync();

        using (var forger = new JournalForger(bank.DataDirectory))
        {
            forger.Rewrite((long)first.Sequence, entry => entry.Postings.ForEach(p => p.Amount = Math.Sign(p.Amount)));
        }
        await using var restarted = await bank.RestartAsync();

        var plain = await restarted.AuditAsync();
        var anchored = await restarted.Admin.AuditAsync(new AuditRequest { ExpectSequence = receipt.Sequence, ExpectHash = receipt.EntryHash });

        Assert.True(plain.Ok, string.Join("; ", plain.Problems));
        Assert.False(anchored.Ok);
        Assert.Contains(anchored.Problems, p => p.Contains($"entry {receipt.EntryId} no longer has the anchored hash", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_receipt_carries_the_journal_hash_that_a_later_audit_confirms()
    {
        await using var bank = await TestBank.StartAsync();
        var (receipt, _) = await PayFiveTimesAsync(bank);

        var audit = await bank.Admin.AuditAsync(new AuditRequest { ExpectSequence = receipt.Sequence, ExpectHash = receipt.EntryHash });

        Assert.Matches("^[0-9a-f]{64}$", receipt.EntryHash);
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
        Assert.Equal((receipt.Sequence, receipt.EntryHash), (audit.HeadSequence, audit.HeadHash));
        var malformed = await Refusal.Of(() => bank.Admin.AuditAsync(new AuditRequest { ExpectSequence = receipt.Sequence, ExpectHash = "abc" }));
        Assert.Equal("INVALID_ARGUMENT", malformed.Reason);
    }

    private static async Task<(EntryReply Last, EntryReply First)> PayFiveTimesAsync(TestBank bank)
    {
        var (alice, bob, a, b) = await bank.AliceAndBobAsync(1_000);
        EntryReply? first = null, last = null;
        for (var i = 0; i < 5; i++)
        {
            last = await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 10 + i, IdempotencyKey = $"pay-{i}" });
            first ??= last;
        }
        return (last!, first!);
    }
}
