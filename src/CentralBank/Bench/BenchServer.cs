using System.Diagnostics;
using System.Globalization;
using LedgerContrast.CentralBank.Security;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Measurement;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.CentralBank.Bench;

/// <summary>
/// The bank under test: a `bank serve` process of our own on a temp directory and a port it
/// chooses (its CPU time is then readable apart from the clients'), or an existing server.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly List<Process> _processes;
    private readonly List<string> _dataDirectories;

    private BenchServer(IReadOnlyList<string> urls, string adminToken, string description, List<Process> processes, List<string> dataDirectories)
    {
        (Urls, AdminToken, Description, _processes, _dataDirectories) = (urls, adminToken, description, processes, dataDirectories);
    }

    /// <summary>The server's URL; for a replicated bank, the first replica's (see <see cref="Urls"/>).</summary>
    public string Url => Urls[0];

    /// <summary>Every replica's URL (one for a single server).</summary>
    public IReadOnlyList<string> Urls { get; }

    public string AdminToken { get; }
    public string Description { get; }

    public static BenchServer External(string url, string adminToken) =>
        new([url.Contains("://", StringComparison.Ordinal) ? url : "http://" + url], adminToken, $"{url} (not started here; its CPU not measured)", [], []);

    public static async Task<BenchServer> StartAsync(CancellationToken cancellation)
    {
        var dataDirectory = NewDataDirectory();
        var process = Start(["serve", "--data", dataDirectory, "--port", "0"], null);
        try
        {
            var url = await ListeningAsync(process, cancellation).ConfigureAwait(false);
            var token = (await File.ReadAllTextAsync(Path.Combine(dataDirectory, Tokens.AdminTokenFile), cancellation).ConfigureAwait(false)).Trim();
            return new BenchServer([url], token, $"bank serve, pid {process.Id}, started here", [process], [dataDirectory]);
        }
        catch
        {
            await StopAsync([process], [dataDirectory]).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A replicated bank of <paramref name="replicas"/> `bank serve --replicas` processes on
    /// loopback ports chosen here, returned once one of them leads. Their CPU is summed.
    /// </summary>
    public static async Task<BenchServer> StartReplicatedAsync(int replicas, CancellationToken cancellation)
    {
        var token = Tokens.NewCustomerToken().Replace("lcb_", "bench-admin-", StringComparison.Ordinal);
        var ports = FreePorts(2 * replicas);
        var list = string.Join(',', Enumerable.Range(0, replicas).Select(i => $"127.0.0.1:{ports[2 * i]}/{ports[2 * i + 1]}"));
        var directories = Enumerable.Range(0, replicas).Select(_ => NewDataDirectory()).ToList();
        var processes = new List<Process>();
        try
        {
            for (var i = 0; i < replicas; i++)
            {
                processes.Add(Start(["serve", "--data", directories[i], "--replicas", list, "--replica", (i + 1).ToString(CultureInfo.InvariantCulture)], token));
            }
            var urls = new List<string>();
            foreach (var process in processes)
            {
                urls.Add(await ListeningAsync(process, cancellation).ConfigureAwait(false));
            }
            await WaitForLeaderAsync(urls, cancellation).ConfigureAwait(false);
            return new BenchServer(urls, token, $"{replicas} bank replicas (pids {string.Join(", ", processes.Select(p => p.Id))}), started here", processes, directories);
        }
        catch
        {
            await StopAsync(processes, directories).ConfigureAwait(false);
            throw;
        }
    }

    private static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "lc-bank-bench-" + Guid.NewGuid().ToString("N"));

    private static Process Start(IEnumerable<string> arguments, string? adminToken)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var self = Environment.ProcessPath ?? throw new CliException("BENCH_FAILED", "Cannot tell which executable this is, to start the bank.");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(BenchServer).Assembly.Location); // run as `dotnet bank.dll`
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        if (adminToken is not null)
        {
            start.Environment[Tokens.AdminEnvironmentVariable] = adminToken;
        }
        var process = Process.Start(start) ?? throw new CliException("BENCH_FAILED", "The bank server could not be started.");
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        return process;
    }

    private static async Task<string> ListeningAsync(Process process, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
            {
                if (ServerHost.ListeningUrl(line) is { } url)
                {
                    _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                    return url;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            // falls through to the failure below
        }
        throw new CliException("BENCH_FAILED", "The bank server started for the bench did not say where it listens within 30 s.");
    }

    private static async Task WaitForLeaderAsync(IReadOnlyList<string> urls, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            foreach (var url in urls)
            {
                using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(url);
                try
                {
                    var status = await new Protos.Bank.V1.BankService.BankServiceClient(channel)
                        .GetReplicaStatusAsync(new Protos.Bank.V1.ReplicaStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellation).ConfigureAwait(false);
                    if (status.Role == "leader")
                    {
                        return;
                    }
                }
                catch (Grpc.Core.RpcException)
                {
                    // not up yet
                }
            }
            await Task.Delay(50, cancellation).ConfigureAwait(false);
        }
        throw new CliException("BENCH_FAILED", "The bank replicas started for the bench elected no leader within 30 s.");
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((System.Net.IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>The server processes' CPU time so far, or null for a server that is not ours.</summary>
    public TimeSpan? CpuTime()
    {
        if (_processes.Count == 0)
        {
            return null;
        }
        var total = TimeSpan.Zero;
        foreach (var process in _processes)
        {
            process.Refresh();
            total += process.TotalProcessorTime;
        }
        return total;
    }

    /// <summary>
    /// CPU time so far of the server's tiered JIT compiler thread, read from /proc (Linux), or null
    /// where it cannot be read (another OS, a server that is not ours).
    /// </summary>
    public TimeSpan? CompilerCpuTime()
    {
        TimeSpan? total = null;
        foreach (var process in _processes)
        {
            if (CompilerCpuTime(process.Id) is { } compiler)
            {
                total = (total ?? TimeSpan.Zero) + compiler;
            }
        }
        return total;
    }

    /// <summary>The tiered JIT compiler thread's CPU time so far in process <paramref name="processId"/> (Linux), or null.</summary>
    public static TimeSpan? CompilerCpuTime(int processId) => JitCompiler.CpuTime(processId);

    public ValueTask DisposeAsync() => StopAsync(_processes, _dataDirectories);

    private static async ValueTask StopAsync(List<Process> processes, List<string> directories)
    {
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            process.Dispose();
        }
        directories.ForEach(TryDelete);
    }

    public static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
