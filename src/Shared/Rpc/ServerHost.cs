using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;

namespace LedgerContrast.Shared.Rpc;

/// <summary>The one way this repository's servers create their ASP.NET Core host.</summary>
public static partial class ServerHost
{
    /// <summary>
    /// A slim builder that watches no files. The default reloads appsettings.json on change by
    /// watching the content root — the working directory — recursively; a bank or node whose data
    /// directory lies under it (`.network/…` in the repository) then has a thread stat'ing a file
    /// for every ledger or block write: ≈10% of a core under `bank bench`, measured with perf.
    /// None of our servers read appsettings.json.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder() => WebApplication.CreateSlimBuilder(new WebApplicationOptions
    {
        ContentRootPath = AppContext.BaseDirectory,
        Args = ["--hostBuilder:reloadConfigOnChange=false"],
    });

    /// <summary>
    /// The URL in a server's start-up line ("CentralBank listening on http://127.0.0.1:40123 (…)",
    /// "ChainNode listening on …"), or null: how a parent that started it on port 0 learns the port.
    /// </summary>
    public static string? ListeningUrl(string line) =>
        ListeningLine().Match(line ?? "") is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex(@"listening on (http://[^\s,]+)")]
    private static partial Regex ListeningLine();
}
