using System.Net;
using Grpc.Core;
using LedgerContrast.ChainNode.Api;
using LedgerContrast.ChainNode.Mining;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Shared.Addresses;
using LedgerContrast.Shared.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.ChainNode.Hosting;

/// <summary>Builds a node — engine, miner, gRPC endpoints — so `chain node` and the tests host exactly the same thing.</summary>
public static class ChainNodeHost
{
    public static WebApplication Build(NodeOptions options, LogLevel minimumLogLevel = LogLevel.Information)
    {
        ArgumentNullException.ThrowIfNull(options);
        var parameters = options.ToParameters();
        byte[]? minerKey = null;
        if (options.Mine)
        {
            if (options.MinerAddress is null)
            {
                throw new ArgumentException("--mine needs --miner-address: the address mined coins are paid to.");
            }
            minerKey = Address.Parse(options.MinerAddress, parameters.AddressPrefix).PublicKey.ToArray();
        }

        var builder = ServerHost.CreateBuilder();
        builder.Logging.SetMinimumLevel(minimumLogLevel);
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            // Each line names its node (its data directory's name, e.g. node1): several nodes share a terminal.
            var name = new string([.. Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.DataDirectory))).Where(c => c is not ('\'' or '\\' or '"'))]);
            console.TimestampFormat = $"HH:mm:ss.fff '[{name}]' ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = options.Host is "0.0.0.0" or "*" ? IPAddress.Any : IPAddress.Parse(options.Host == "localhost" ? "127.0.0.1" : options.Host);
            kestrel.Listen(address, options.Port, listen => listen.Protocols = HttpProtocols.Http2);
            ServerLimits.Apply(kestrel, PeerManager.MaxMessageBytes);
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => AdminCookie.Create(options.DataDirectory));
        builder.Services.AddSingleton(parameters);
        builder.Services.AddSingleton(provider => new NodeEngine(parameters, options.DataDirectory, provider.GetRequiredService<ILoggerFactory>().CreateLogger("Chain"), mempoolBytes: options.MempoolBytes) { BlockMaxSize = options.BlockMaxSize });
        builder.Services.AddSingleton(provider => new Miner(provider.GetRequiredService<NodeEngine>(), provider.GetRequiredService<ILoggerFactory>().CreateLogger("Miner")));
        builder.Services.AddSingleton(provider => new PeerManager(provider.GetRequiredService<NodeEngine>(), options, provider.GetRequiredService<ILoggerFactory>().CreateLogger("Peers")));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ErrorInterceptor>(new Func<ReasonedException, StatusCode>(NodeStatuses.Of));
            grpc.Interceptors.Add<PeerTraffic.ServerCounter>();
            grpc.MaxReceiveMessageSize = PeerManager.MaxMessageBytes;
            grpc.MaxSendMessageSize = PeerManager.MaxMessageBytes;
        });
        builder.Services.AddMalformedRequestRefusal();
        builder.Services.AddGrpcHealthChecks().AddCheck<ChainHealthCheck>("chain");
        builder.Services.AddGrpcReflection();

        var app = builder.Build();
        app.MapGrpcService<PeerGrpcService>();
        app.MapGrpcService<NodeGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        // Open the chain now, not on the first call, so a bad data directory fails the start.
        app.Services.GetRequiredService<NodeEngine>();
        app.Services.GetRequiredService<AdminCookie>();
        var miner = app.Services.GetRequiredService<Miner>();
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var peers = app.Services.GetRequiredService<PeerManager>();
        lifetime.ApplicationStarted.Register(() =>
        {
            // With port 0 the real port is only known now; peers are told it in the handshake.
            peers.Start(PeerAddress.Parse(app.Urls.First()));
            if (minerKey is not null)
            {
                miner.Start(minerKey, options.MinerThreads);
            }
        });
        lifetime.ApplicationStopping.Register(miner.Stop);
        app.Services.GetRequiredService<NodeEngine>().Stopped.Register(lifetime.StopApplication);
        return app;
    }
}

/// <summary>Serving while the node's chain thread takes blocks.</summary>
internal sealed class ChainHealthCheck(NodeEngine engine) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(engine.IsHealthy
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("The chain thread is running.")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy(engine.Fatal is { } fatal ? $"The node stopped after a failure: {fatal.Message}" : "The chain thread has stopped."));
}
