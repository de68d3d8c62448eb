using LedgerContrast.Shared.Rpc;
using System.Net;
using System.Reflection;
using System.Text.Json;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Shared.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.Contrast.Watch;

/// <summary>
/// `contrast watch`: the live classroom view. Plain HTML, CSS and JavaScript served from this
/// assembly (no build step, works offline) on 127.0.0.1; the page follows a server-sent event
/// stream of snapshots (two a second) and posts its controls to /actions/NAME.
/// </summary>
public sealed class WatchServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _watching;
    private readonly WatchControls _controls;

    private WatchServer(WebApplication app, NetworkWatcher watcher, WatchControls controls)
    {
        _app = app;
        _controls = controls;
        _watching = watcher.RunAsync(_stopping.Token);
    }

    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    /// <param name="host">Where to listen: loopback, or in an emulated run the clients namespace's end of the window (contrast emulate window).</param>
    public static async Task<WatchServer> StartAsync(LabNetwork lab, int port, IPAddress? host = null)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var builder = ServerHost.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(host ?? IPAddress.Loopback, port));
        var app = builder.Build();
        var watcher = new NetworkWatcher(lab);
        var controls = new WatchControls(lab, watcher);
        foreach (var (path, type) in new[] { ("/", "text/html"), ("/watch.js", "text/javascript"), ("/watch.css", "text/css") })
        {
            var content = Asset(path == "/" ? "index.html" : path[1..]);
            app.MapGet(path, () => Results.Text(content, type + "; charset=utf-8"));
        }
        app.MapGet("/state", () => Results.Text(watcher.LatestJson, "application/json"));
        app.MapGet("/events", async (HttpContext context) =>
        {
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            var cancellation = context.RequestAborted;
            try
            {
                while (!cancellation.IsCancellationRequested)
                {
                    await context.Response.WriteAsync($"data: {watcher.LatestJson}\n\n", cancellation).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(cancellation).ConfigureAwait(false);
                    await watcher.NextAsync(cancellation).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // the page went away
            }
        });
        app.MapPost("/actions/{action}", async (string action, HttpContext context) =>
        {
            var args = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
            try
            {
                var said = await controls.RunAsync(action, args).ConfigureAwait(false);
                return Results.Text(JsonSerializer.Serialize(new { ok = true, said }, s_json), "application/json");
            }
            catch (CliException ex)
            {
                return Results.Text(JsonSerializer.Serialize(new { ok = false, reason = ex.Reason, message = ex.Message }, s_json), "application/json", statusCode: 400);
            }
        });
        var server = new WatchServer(app, watcher, controls);
        await app.StartAsync().ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return server;
    }

    /// <summary>
    /// Until the host stops: Ctrl+C and SIGTERM reach the web host's lifetime first, so waiting on
    /// the command line's token alone would outlive them.
    /// </summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation) => _app.WaitForShutdownAsync(cancellation);

    private static string Asset(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("LedgerContrast.Contrast.Watch.wwwroot." + name)
            ?? throw new InvalidOperationException($"The live view's {name} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _watching.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _controls.Dispose();
    }
}
