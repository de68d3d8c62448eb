using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LedgerContrast.ChainNode.Hosting;

/// <summary>Runs a node in the foreground until Ctrl+C or SIGTERM; failures to start are one sentence.</summary>
public static class NodeRunner
{
    /// <summary>The exit code of a fail-stop (EX_SOFTWARE, as the bank's): a supervisor restarts the node, which recovers from its file.</summary>
    public const int StoppedAfterStorageFault = 70;

    public static async Task<int> RunAsync(NodeOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        WebApplication app;
        try
        {
            app = ChainNodeHost.Build(options);
            await app.StartAsync(cancellation).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or FormatException or ArgumentException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"The node could not start: {ex.Message}").ConfigureAwait(false);
            return Shared.Cli.CliOutput.Unreachable;
        }
        await using (app.ConfigureAwait(false))
        {
            var engine = app.Services.GetRequiredService<Node.NodeEngine>();
            await Console.Out.WriteLineAsync($"ChainNode listening on {string.Join(", ", app.Urls)} (network {engine.Parameters.Network}, id {engine.NetworkId}, data {Path.GetFullPath(options.DataDirectory)})").ConfigureAwait(false);
            await app.WaitForShutdownAsync(cancellation).ConfigureAwait(false);
            if (engine.Fatal is { } fatal)
            {
                await Console.Error.WriteLineAsync($"The node stopped after a storage failure ({fatal.Message}); restart it to recover from its data directory.").ConfigureAwait(false);
                return StoppedAfterStorageFault;
            }
        }
        return 0;
    }
}
