using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;
using LiteDB;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

public class TamperTests
{
    [Fact]
    public async Task Editing_a_journal_entry_in_the_file_makes_bank_audit_fail_and_name_the_entry()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        var bob = await bank.NewCustomerAsync("bob");
        var a = await bank.OpenAccountAsync(alice, 1_000);
        var b = await bank.OpenAccountAsync(bob);
        for (var i = 0; i < 3; i++)
        {
            await alice.Client.TransferAsync(new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = 10, IdempotencyKey = $"t{i}" });
        }
        await bank.StopAsync();

        var clean = await BankProcess.RunCliAsync(["audit", "--data", bank.DataDirectory]);
        Assert.Equal(0, clean.ExitCode);

        // A balanced edit (both postings of e-3 shrunk): only the hash chain can catch it.
        using (var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(bank.DataDirectory, "bank.db"), Connection = ConnectionType.Direct }))
        {
            var entries = db.GetCollection("entries");
            var entry = entries.FindById(3);
            foreach (var posting in entry["Postings"].AsArray)
            {
                posting["Amount"] = (long)Math.Sign(posting["Amount"].AsInt64);
            }
            entries.Update(entry);
        }

        var tampered = await BankProcess.RunCliAsync(["audit", "--data", bank.DataDirectory]);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("broken hash chain at entry e-3", tampered.Stderr);
        Assert.Contains("altered", tampered.Stderr);
        Assert.DoesNotContain("   at ", tampered.Stderr); // one sentence, never a stack trace
    }

    [Fact]
    public async Task An_entry_whose_fields_no_longer_parse_is_reported_not_crashed_on()
    {
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        await bank.OpenAccountAsync(alice, 1_000);
        await bank.StopAsync();
        using (var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(bank.DataDirectory, "bank.db"), Connection = ConnectionType.Direct }))
        {
            var entries = db.GetCollection("entries");
            var entry = entries.FindById(1);
            entry["TimeMs"] = "yesterday";
            entries.Update(entry);
        }

        var audit = await BankProcess.RunCliAsync(["audit", "--data", bank.DataDirectory, "--json"]);

        Assert.Equal(1, audit.ExitCode);
        Assert.Contains("\"first_broken_entry\": \"e-1\"", audit.Stdout);
        Assert.Contains("cannot be read", audit.Stdout);
    }
}
