using System.Diagnostics;
using Grpc.Net.Client;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// One `chain node` process the lab started itself (on port 0: the node picks a free port and
/// says which, so no other process can take one the lab chose), with its API and admin clients.
/// Disposing kills it.
/// </summary>
public sealed class LabNodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly GrpcChannel _channel;

    private LabNodeProcess(Process process, GrpcChannel channel, LabNode node, string dataDirectory)
    {
        _process = process;
        _channel = channel;
        Node = node;
        DataDirectory = dataDirectory;
    }

    public LabNode Node { get; }
    public string DataDirectory { get; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// The executable network.json's nodes run: everything before the verb "node" of its first
    /// node's command line (e.g. dotnet …/chain.dll).
    /// </summary>
    public static List<string> ExecutableOf(NetworkFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var executable = file.Nodes.Count == 0 ? [] : file.Nodes[0].Command.TakeWhile(c => c != "node").ToList();
        return executable.Count > 0 ? executable
            : throw new CliException("NO_NODE_COMMAND", $"{file.Path} does not record how its nodes were started.");
    }

    /// <summary>Starts `EXECUTABLE node ARGS` (ARGS must include --port 0 and --data <paramref name="dataDirectory"/>) and waits until it says where it listens.</summary>
    public static async Task<LabNodeProcess> StartAsync(IReadOnlyList<string> executable, string name, string dataDirectory, IEnumerable<string> nodeArguments)
    {
        ArgumentNullException.ThrowIfNull(executable);
        ArgumentNullException.ThrowIfNull(nodeArguments);
        var start = new ProcessStartInfo(executable[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in executable.Skip(1).Append("node").Concat(nodeArguments))
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new CliException("LAB_NODE_FAILED", $"Could not start {name}.");
        // The rest of its output is drained, not kept: a full pipe would block it.
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { } text && ServerHost.ListeningUrl(text) is { } url)
            {
                listening.TrySetResult(url);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Exited += (_, _) => listening.TrySetException(new CliException("LAB_NODE_FAILED", $"Lab node {name} exited at start."));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string listeningUrl;
        try
        {
            listeningUrl = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }
        catch
        {
            await KillAsync(process).ConfigureAwait(false);
            process.Dispose();
            throw;
        }
        var channel = GrpcChannel.ForAddress(listeningUrl);
        var node = new LabNode(name, listeningUrl, new NodeService.NodeServiceClient(channel),
            new NodeService.NodeServiceClient(LabNetwork.WithAdminCookie(channel.CreateCallInvoker(), dataDirectory)));
        return new LabNodeProcess(process, channel, node, dataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await KillAsync(_process).ConfigureAwait(false);
        _process.Dispose();
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            // already gone, or will be reaped with us
        }
    }
}
