using LedgerContrast.CentralBank.Storage;
using LedgerContrast.Shared.Storage;
using LedgerContrast.CentralBank.Api;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.CentralBank.Security;
using LedgerContrast.CentralBank.Replication;
using LedgerContrast.Shared.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Net;
using Grpc.Core;

namespace LedgerContrast.CentralBank.Hosting;

public sealed record BankServerOptions
{
    public required string DataDirectory { get; init; }
    public int Port { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    public TimeSpan IdempotencyKeyRetention { get; init; } = LedgerOptions.DefaultKeyRetention;
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Below this much free disk, writes are refused with STORAGE_FULL; reads go on.</summary>
    public long MinFreeBytes { get; init; } = LedgerOptions.DefaultMinFreeBytes;

    /// <summary>Space held back in a reserve file, released if the disk fills anyway so a rollback has room.</summary>
    public long ReserveBytes { get; init; } = LedgerOptions.DefaultReserveBytes;

    /// <summary>Commands that may wait for the ledger writer before new ones are refused OVERLOADED.</summary>
    public int MaxQueuedCommands { get; init; } = LedgerWriter.DefaultMaxQueued;

    /// <summary>Idempotency keys found through memory; older retained keys move to an indexed collection.</summary>
    public int MaxRecentKeys { get; init; } = RecentKeys.DefaultCapacity;

    /// <summary>LiteDB's checkpoint size, in 8 KiB log pages.</summary>
    public int CheckpointPages { get; init; } = BankDatabase.DefaultCheckpointPages;

    /// <summary>Entries a changed balance waits before its account document is written.</summary>
    public int MaterializeAfterEntries { get; init; } = Materialization.DefaultAfterEntries;

    /// <summary>Tests only: fails storage steps on purpose (fault injection).</summary>
    public IStorageFaultInjector? StorageFaults { get; init; }

    /// <summary>Tests only: replaces the idempotency key hash, so keys can be made to collide.</summary>
    internal Func<string, ulong>? KeyHash { get; init; }

    /// <summary>Null for a single server; else every replica of the replicated bank, this one being <see cref="Replica"/>.</summary>
    public ReplicaSet? Replicas { get; init; }

    /// <summary>This process's replica number in <see cref="Replicas"/> (1-based).</summary>
    public int Replica { get; init; }

    /// <summary>The Raft election timeouts (how soon a dead leader is replaced).</summary>
    public RaftTimings RaftTimings { get; init; } = new();

    /// <summary>Overrides BANK_ADMIN_TOKEN and DIR/admin.token (tests and the bench host several banks in one process).</summary>
    public string? AdminToken { get; init; }
}

/// <summary>Builds the bank server so `bank serve` and the tests host exactly the same thing.</summary>
public static class BankServer
{
    public const int MaxMessageBytes = 64 * 1024;

    public static WebApplication Build(BankServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = ServerHost.CreateBuilder();
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        // DotNext warns of every failed heartbeat while a peer is down: the bank's own lines say what matters.
        builder.Logging.AddFilter("DotNext", LogLevel.Error);
        // A start that fails is told in one sentence by `bank serve`, not as the host's stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = options.Host is "0.0.0.0" or "*" ? IPAddress.Any : IPAddress.Parse(options.Host == "localhost" ? "127.0.0.1" : options.Host);
            // Cleartext gRPC must be HTTP/2 only (docs/ARCHITECTURE.md).
            kestrel.Listen(address, options.Port, listen => listen.Protocols = HttpProtocols.Http2);
            ServerLimits.Apply(kestrel, MaxMessageBytes);
        });
        var adminToken = options.AdminToken is { } given
            ? Tokens.RequireStrong(given, "the server options")
            : Tokens.LoadOrCreateAdminToken(options.DataDirectory);
        if (options.Replicas is { } replicas)
        {
            builder.Services.AddSingleton(provider => new RaftReplication(replicas, options.Replica, options.DataDirectory,
                provider.GetRequiredService<ILoggerFactory>(), options.RaftTimings));
            builder.Services.AddSingleton(provider => new ReplicaRole(provider.GetRequiredService<RaftReplication>()));
            builder.Services.AddHostedService<ReplicaHost>();
        }
        else
        {
            builder.Services.AddSingleton(new ReplicaRole(null));
        }
        builder.Services.AddSingleton(provider => new BankLedger(
            new LedgerOptions
            {
                DataDirectory = options.DataDirectory,
                IdempotencyKeyRetention = options.IdempotencyKeyRetention,
                MinFreeBytes = options.MinFreeBytes,
                ReserveBytes = options.ReserveBytes,
                MaxQueuedCommands = options.MaxQueuedCommands,
                MaxRecentKeys = options.MaxRecentKeys,
                KeyHash = options.KeyHash,
                CheckpointPages = options.CheckpointPages,
                MaterializeAfterEntries = options.MaterializeAfterEntries,
                Faults = options.StorageFaults,
            },
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("Ledger"),
            provider.GetRequiredService<ReplicaRole>().Replication));
        builder.Services.AddSingleton(provider => new Authenticator(adminToken, provider.GetRequiredService<BankLedger>().State));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ErrorInterceptor>(new Func<ReasonedException, StatusCode>(BankStatuses.Of));
            grpc.MaxReceiveMessageSize = MaxMessageBytes;
            grpc.EnableDetailedErrors = false;
        });
        builder.Services.AddMalformedRequestRefusal();
        builder.Services.AddGrpcHealthChecks().AddCheck<LedgerHealthCheck>("ledger");
        builder.Services.AddGrpcReflection();

        var app = builder.Build();
        app.MapGrpcService<BankGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        // Open the ledger now, not on the first call, so a bad data directory fails the start.
        var ledger = app.Services.GetRequiredService<BankLedger>();
        // Fail-stop: once storage failed at or after a commit, this process must not serve another
        // request; the restart reads the truth from the file.
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        ledger.Stopped.Register(lifetime.StopApplication);
        return app;
    }
}

/// <summary>Joins the replica to its cluster once the ledger is open, and leaves it on shutdown.</summary>
internal sealed class ReplicaHost(RaftReplication replication, BankLedger ledger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => replication.StartAsync(ledger, cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await replication.DisposeAsync().ConfigureAwait(false);
}

/// <summary>Serving while the ledger writer thread takes commands.</summary>
internal sealed class LedgerHealthCheck(BankLedger ledger) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(ledger.IsHealthy
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("The ledger writer is running.")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("The ledger writer has stopped."));
}
