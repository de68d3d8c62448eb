using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// A lab server in front of a real one (the hybrid's lying node and lying bank): a real gRPC
/// server in this process on a free loopback port, whose service reaches the real server through
/// one channel. Disposing stops both.
/// </summary>
public sealed class LabProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _backend;

    private LabProxy(WebApplication app, GrpcChannel backend)
    {
        _app = app;
        _backend = backend;
    }

    public string Url => _app.Urls.First();

    public static async Task<LabProxy> StartAsync<TService>(string backendUrl, Func<GrpcChannel, TService> service) where TService : class
    {
        ArgumentNullException.ThrowIfNull(service);
        var backend = GrpcChannel.ForAddress(backendUrl);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service(backend));
        var app = builder.Build();
        app.MapGrpcService<TService>();
        await app.StartAsync().ConfigureAwait(false);
        return new LabProxy(app, backend);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _backend.Dispose();
    }
}
