using LedgerContrast.TestSupport;

namespace LedgerContrast.CentralBank.Tests.Harness;

/// <summary>The real `bank` executable: `bank serve` on port 0, and one-shot CLI verbs.</summary>
public static class BankProcess
{
    public static Task<ServerProcess> StartAsync(string dataDirectory, string adminToken, params string[] options) =>
        ServerProcess.StartAsync("bank.dll", ["serve", "--port", "0", "--data", dataDirectory, .. options], new() { ["BANK_ADMIN_TOKEN"] = adminToken });

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(IEnumerable<string> args, Dictionary<string, string?>? environment = null) =>
        ServerProcess.RunAsync("bank.dll", args, environment);
}
