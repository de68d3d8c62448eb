using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.CentralBank.Audit;
using LedgerContrast.CentralBank.Bench;
using LedgerContrast.CentralBank.Hosting;
using LedgerContrast.CentralBank.Replication;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.CentralBank.Security;
using LedgerContrast.CentralBank.Storage;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LedgerContrast.CentralBank.Cli;

/// <summary>
/// The bank's replicas (one for a single server) plus the caller's credentials and a deadline for
/// every call; calls follow the leader (<see cref="FailoverInvoker"/>).
/// </summary>
internal sealed class BankClient : IDisposable
{
    private readonly FailoverInvoker _invoker;

    public BankClient(string server, string? token)
    {
        Server = server;
        Urls = Split(server);
        _invoker = new FailoverInvoker(Urls);
        Bank = new BankService.BankServiceClient(_invoker);
        Headers = [];
        if (!string.IsNullOrEmpty(token))
        {
            Headers.Add("authorization", "Bearer " + token);
        }
    }

    /// <summary>Each replica's URL from a server list such as "127.0.0.1:7100,127.0.0.1:7101".</summary>
    public static IReadOnlyList<string> Split(string server)
    {
        var urls = new List<string>();
        foreach (var item in server.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var url = item.Contains("://", StringComparison.Ordinal) ? item.TrimEnd('/') : "http://" + item.TrimEnd('/');
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new CliException("INVALID_SERVER", $"'{item}' is not a server URL; use e.g. {BankCli.DefaultServer}.");
            }
            urls.Add(url);
        }
        return urls.Count > 0 ? urls : throw new CliException("INVALID_SERVER", $"No server given; use e.g. {BankCli.DefaultServer}.");
    }

    public IReadOnlyList<string> Urls { get; }

    public BankService.BankServiceClient Bank { get; }
    public Metadata Headers { get; }
    public string Server { get; }
    /// <summary>Every call gets its own 10 s from the moment it is made.</summary>
    public static DateTime? CallDeadline => DateTime.UtcNow.AddSeconds(10);

    /// <summary>Retries a lost call with the same request (and so the same idempotency key): applied at most once.</summary>
    public static async Task<T> WithRetry<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (RpcException ex) when (attempt < 3 && ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                await Task.Delay(200 * attempt).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _invoker.Dispose();
}
