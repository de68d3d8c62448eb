using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.CentralBank.Hosting;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Rpc;
using LedgerContrast.TestSupport;
using LedgerContrast.CentralBank.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LedgerContrast.CentralBank.Tests.Harness;

/// <summary>
/// A real bank server on 127.0.0.1 port 0 with its own temp data directory, and clients that
/// speak to it over real gRPC. Reads like the scenario: <c>await bank.NewCustomerWithAccountAsync("alice", 100)</c>.
/// </summary>
public sealed class TestBank : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];
    private readonly Func<BankServerOptions, BankServerOptions> _configure;
    private readonly bool _ownsDirectory;
    private WebApplication _app;

    private TestBank(WebApplication app, string dataDirectory, string adminToken, Func<BankServerOptions, BankServerOptions> configure, bool ownsDirectory)
    {
        _app = app;
        _configure = configure;
        _ownsDirectory = ownsDirectory;
        DataDirectory = dataDirectory;
        AdminToken = adminToken;
        Admin = Client(adminToken);
    }

    public string DataDirectory { get; }
    public string AdminToken { get; }
    public BankService.BankServiceClient Admin { get; }
    public string Url => _app.Urls.First();

    /// <summary>The running server's ledger, for tests that watch it stop.</summary>
    public BankLedger Ledger => _app.Services.GetRequiredService<BankLedger>();

    /// <summary>Cancelled once the host is stopping (e.g. after a fail-stop).</summary>
    public CancellationToken Stopping => _app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;

    /// <summary>A bank on its own temp directory, or on <paramref name="directory"/> (which the caller then owns).</summary>
    public static async Task<TestBank> StartAsync(Func<BankServerOptions, BankServerOptions>? configure = null, string? directory = null)
    {
        var ownsDirectory = directory is null;
        directory ??= TempDirectory.NewPath("lc-bank-test-");
        configure ??= options => options;
        var token = "test-admin-" + Guid.NewGuid().ToString("N");
        var app = await StartServerAsync(directory, token, configure);
        return new TestBank(app, directory, token, configure, ownsDirectory);
    }

    private static async Task<WebApplication> StartServerAsync(string directory, string token, Func<BankServerOptions, BankServerOptions> configure)
    {
        var app = BankServer.Build(configure(new BankServerOptions { DataDirectory = directory, Port = 0, AdminToken = token }));
        await app.StartAsync();
        return app;
    }

    /// <summary>Stops this server and starts another on the same data directory; clients made before keep pointing at the old port.</summary>
    public async Task<TestBank> RestartAsync(Func<BankServerOptions, BankServerOptions>? configure = null)
    {
        await StopAsync();
        var app = await StartServerAsync(DataDirectory, AdminToken, configure ?? _configure);
        return new TestBank(app, DataDirectory, AdminToken, configure ?? _configure, _ownsDirectory);
    }

    public BankService.BankServiceClient Client(string? token)
    {
        var channel = GrpcChannel.ForAddress(Url);
        _channels.Add(channel);
        var invoker = token is null
            ? channel.CreateCallInvoker()
            : channel.CreateCallInvoker().Intercept(metadata => { metadata.Add("authorization", "Bearer " + token); return metadata; });
        return new BankService.BankServiceClient(invoker);
    }

    public async Task<TestCustomer> NewCustomerAsync(string name)
    {
        var created = await Admin.CreateCustomerAsync(new CreateCustomerRequest { Name = name });
        return new TestCustomer(created.CustomerId, created.Token, Client(created.Token));
    }

    public async Task<string> OpenAccountAsync(TestCustomer customer, long deposit = 0)
    {
        var account = await Admin.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.Id });
        if (deposit > 0)
        {
            await Admin.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = deposit, IdempotencyKey = "open-" + account.AccountId });
        }
        return account.AccountId;
    }

    /// <summary>The usual cast: alice and bob, one account each, with these opening deposits.</summary>
    public async Task<AliceAndBob> AliceAndBobAsync(long aliceDeposit = 1_000, long bobDeposit = 0)
    {
        var alice = await NewCustomerAsync("alice");
        var bob = await NewCustomerAsync("bob");
        return new AliceAndBob(alice, bob, await OpenAccountAsync(alice, aliceDeposit), await OpenAccountAsync(bob, bobDeposit));
    }

    public async Task<long> BalanceAsync(string accountId) =>
        (await Admin.GetBalanceAsync(new GetBalanceRequest { AccountId = accountId })).Balance;

    public async Task<AuditReply> AuditAsync() => await Admin.AuditAsync(new AuditRequest());

    /// <summary>Stops the server and starts a new one on the same data directory (a clean restart).</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        try
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
            // already stopped by the test
        }
        if (_ownsDirectory)
        {
            TempDirectory.Delete(DataDirectory);
        }
    }
}

public sealed record TestCustomer(string Id, string Token, BankService.BankServiceClient Client);

/// <summary>Two customers and their accounts <see cref="A"/> (alice's) and <see cref="B"/> (bob's).</summary>
public sealed record AliceAndBob(TestCustomer Alice, TestCustomer Bob, string A, string B);

public static class Refusal
{
    /// <summary>Awaits a call that must be refused, and returns its stable reason.</summary>
    public static async Task<(StatusCode Status, string Reason, string Message)> Of<T>(Func<Task<T>> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        var detail = RpcErrors.Describe(error);
        return (error.StatusCode, detail.Reason, detail.Message);
    }

    public static Task<(StatusCode Status, string Reason, string Message)> Of<T>(Func<AsyncUnaryCall<T>> call) => Of(async () => await call());
}
