using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.TestSupport;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

/// <summary>The `bank` CLI end to end, as a person types it, against a real server process.</summary>
public sealed class BankCliProcessTests : IDisposable
{
    private readonly string _root = TempDirectory.NewPath("lc-bank-cli-");

    [Fact]
    public async Task A_teller_and_a_customer_work_through_the_cli_and_every_error_is_one_sentence()
    {
        var adminToken = "cli-admin-" + Guid.NewGuid().ToString("N");
        using var server = await BankProcess.StartAsync(Path.Combine(_root, "data"), adminToken);
        // No network.json of a developer's running network may take part: inside one, its bank wins.
        var environment = new Dictionary<string, string?> { ["BANK_PROFILE"] = Path.Combine(_root, "profile.json"), ["BANK_TOKEN"] = null, ["LC_NETWORK_FILE"] = Path.Combine(_root, "none.json") };
        async Task<(int ExitCode, string Stdout, string Stderr)> Bank(params string[] args) => await BankProcess.RunCliAsync(args, environment);

        Assert.Equal(0, (await Bank("login", "--token", adminToken, "--server", server.Url)).ExitCode);
        Assert.Contains("cus-1", (await Bank("customer", "create", "alice")).Stdout);
        Assert.Contains("cus-2", (await Bank("customer", "create", "bob")).Stdout);
        Assert.Contains("acc-1", (await Bank("account", "open", "--customer", "cus-1")).Stdout);
        Assert.Contains("acc-2", (await Bank("account", "open", "--customer", "cus-2")).Stdout);
        Assert.Contains("now holds 100", (await Bank("deposit", "--account", "acc-1", "--amount", "100")).Stdout);

        var transfer = await Bank("transfer", "--from", "acc-1", "--to", "acc-2", "--amount", "12.5", "--as", "alice", "--json");
        Assert.Equal(0, transfer.ExitCode);
        Assert.Contains("\"from_balance\": \"87.5\"", transfer.Stdout);

        var tooPrecise = await Bank("transfer", "--from", "acc-1", "--to", "acc-2", "--amount", "0.000000001", "--as", "alice");
        Assert.Equal((3, "'0.000000001' has 9 decimal places; at most 8 are allowed."), (tooPrecise.ExitCode, tooPrecise.Stderr.Trim()));

        var broke = await Bank("transfer", "--from", "acc-1", "--to", "acc-2", "--amount", "1000", "--as", "alice");
        Assert.Equal((1, "The bank refused: Account acc-1 holds 87.5, less than 1000 (INSUFFICIENT_FUNDS)."), (broke.ExitCode, broke.Stderr.Trim()));

        var notYours = await Bank("balance", "acc-1", "--as", "bob");
        Assert.Equal(1, notYours.ExitCode);
        Assert.Equal("The bank refused: You have no account acc-1 (ACCOUNT_NOT_FOUND).", notYours.Stderr.Trim());
        var missing = await Bank("balance", "acc-99"); // as the admin, who has no accounts of its own
        Assert.Equal((1, "The bank refused: There is no account acc-99 (ACCOUNT_NOT_FOUND)."), (missing.ExitCode, missing.Stderr.Trim()));

        var unknownCustomer = await Bank("balance", "acc-1", "--as", "carol");
        Assert.Equal((3, $"No customer named 'carol' is saved for {server.Url}, neither in the profile {Path.Combine(_root, "profile.json")} nor in network.json."), (unknownCustomer.ExitCode, unknownCustomer.Stderr.Trim()));

        // A server without its scheme is read as http://, as the chain CLI reads a node's.
        Assert.Equal(0, (await Bank("balance", "acc-1", "--as", "alice", "--server", server.Url["http://".Length..])).ExitCode);
        // An authentication error names the token's source and the server.
        var wrongToken = await Bank("balance", "acc-1", "--token", "not-a-token");
        Assert.Equal(1, wrongToken.ExitCode);
        Assert.StartsWith($"The bank at {server.Url} refused the token from --token:", wrongToken.Stderr.Trim(), StringComparison.Ordinal);
        // A token pasted with a byte-order mark is refused here, in a sentence, with the usage exit code.
        var withBom = await Bank("balance", "acc-1", "--token", "\uFEFF" + adminToken);
        Assert.Equal(3, withBom.ExitCode);
        Assert.Contains("The token from --token contains a character a request header cannot carry", withBom.Stderr, StringComparison.Ordinal);

        var cash = await Bank("balance", "@cash", "--json"); // an account id, not a response file
        Assert.Equal(0, cash.ExitCode);
        Assert.Contains("-100", cash.Stdout);

        var audit = await Bank("audit");
        Assert.Contains("Audit passed", audit.Stdout);
        var anchor = System.Text.RegularExpressions.Regex.Match(audit.Stdout, @"--expect (\d+:[0-9a-f]{64})").Groups[1].Value;
        Assert.Equal(0, (await Bank("audit", "--expect", anchor)).ExitCode);
        var badAnchor = await Bank("audit", "--expect", "e-1:zz");
        Assert.Equal(3, badAnchor.ExitCode);

        // Inside a network directory its bank wins over a profile left by an earlier bank, and a
        // command without --as says it acts as the admin, and with which token.
        var bobToken = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_root, "profile.json"))).RootElement.GetProperty("Customers").GetProperty("bob").GetProperty("Token").GetString();
        var networkDir = Path.Combine(_root, "net");
        Directory.CreateDirectory(networkDir);
        await File.WriteAllTextAsync(Path.Combine(networkDir, "admin.token"), adminToken);
        await File.WriteAllTextAsync(Path.Combine(networkDir, "network.json"), System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bank"] = new Dictionary<string, object> { ["name"] = "bank", ["url"] = server.Url },
            ["admin_token_file"] = Path.Combine(networkDir, "admin.token"),
            ["customers"] = new Dictionary<string, object> { ["dave"] = new Dictionary<string, string> { ["customer_id"] = "cus-2", ["account_id"] = "acc-2", ["token"] = bobToken! } },
        }));
        var inNetwork = new Dictionary<string, string?>(environment) { ["LC_NETWORK_FILE"] = Path.Combine(networkDir, "network.json"), ["BANK_PROFILE"] = Path.Combine(_root, "old-profile.json") };
        Assert.Equal(0, (await BankProcess.RunCliAsync(["login", "--server", "http://127.0.0.1:9", "--token", "an-old-banks-token"], inNetwork)).ExitCode);
        var asDave = await BankProcess.RunCliAsync(["balance", "acc-2", "--as", "dave"], inNetwork);
        Assert.True(asDave.ExitCode == 0, asDave.Stderr);
        var asAdmin = await BankProcess.RunCliAsync(["balance", "acc-1"], inNetwork);
        Assert.Equal(0, asAdmin.ExitCode);
        Assert.Contains($"(acting as the bank's admin: the admin token file {Path.Combine(networkDir, "admin.token")}", asAdmin.Stderr, StringComparison.Ordinal);

        server.KillHard();
        var down = await Bank("balance", "acc-1");
        Assert.Equal((2, $"Cannot reach the bank at {server.Url}: is it running?"), (down.ExitCode, down.Stderr.Trim()));
    }

    public void Dispose()
    {
        TempDirectory.Delete(_root);
    }
}
