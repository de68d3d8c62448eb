using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Rpc;
using LedgerContrast.TestSupport;

namespace LedgerContrast.CentralBank.Tests.Harness;

/// <summary>
/// Three (or N) real `bank serve --replicas` processes on loopback, each with its own data
/// directory, and the faults a Jepsen-style test injects: kill -9, restart, SIGSTOP/SIGCONT.
/// Every process is killed and every directory deleted on dispose, whatever the test did.
/// </summary>
public sealed class ReplicatedBank : IAsyncDisposable
{
    private readonly ServerProcess?[] _processes;
    private readonly string[] _data;
    private readonly string _list;
    private readonly string[] _extraOptions;
    private readonly List<FailoverInvoker> _invokers = [];
    private readonly HashSet<int> _paused = [];
    private readonly GrpcChannel?[] _channels;

    private ReplicatedBank(int count, string adminToken, string[] extraOptions)
    {
        AdminToken = adminToken;
        _extraOptions = extraOptions;
        _processes = new ServerProcess?[count];
        _channels = new GrpcChannel?[count];
        _data = Enumerable.Range(1, count).Select(i => TempDirectory.NewPath($"lc-replica{i}-")).ToArray();
        var ports = FreePorts(2 * count);
        Urls = Enumerable.Range(0, count).Select(i => $"http://127.0.0.1:{ports[2 * i]}").ToArray();
        _list = string.Join(',', Enumerable.Range(0, count).Select(i => $"127.0.0.1:{ports[2 * i]}/{ports[2 * i + 1]}"));
    }

    public string AdminToken { get; }
    public IReadOnlyList<string> Urls { get; }
    public int Count => _processes.Length;
    public string DataDirectory(int replica) => _data[replica - 1];
    public ServerProcess? Process(int replica) => _processes[replica - 1];

    public static async Task<ReplicatedBank> StartAsync(int count = 3, params string[] extraOptions)
    {
        var bank = new ReplicatedBank(count, "replica-admin-" + Guid.NewGuid().ToString("N"), extraOptions);
        try
        {
            await Task.WhenAll(Enumerable.Range(1, count).Select(bank.StartReplicaAsync));
            await bank.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            return bank;
        }
        catch
        {
            await bank.DisposeAsync();
            throw;
        }
    }

    public async Task StartReplicaAsync(int replica)
    {
        _processes[replica - 1] = await ServerProcess.StartAsync("bank.dll",
            ["serve", "--data", _data[replica - 1], "--replicas", _list, "--replica", replica.ToString(System.Globalization.CultureInfo.InvariantCulture), .. _extraOptions],
            new() { ["BANK_ADMIN_TOKEN"] = AdminToken });
    }

    public void Kill(int replica)
    {
        Resume(replica);
        _processes[replica - 1]?.KillHard();
        _processes[replica - 1]?.Dispose();
        _processes[replica - 1] = null;
    }

    public void Pause(int replica)
    {
        Signal(replica, "STOP");
        _paused.Add(replica);
    }

    public void Resume(int replica)
    {
        if (_paused.Remove(replica))
        {
            Signal(replica, "CONT");
        }
    }

    private void Signal(int replica, string signal)
    {
        var pid = _processes[replica - 1]?.Pid ?? throw new InvalidOperationException($"Replica {replica} is not running.");
        using var kill = System.Diagnostics.Process.Start("kill", $"-{signal} {pid}")!;
        kill.WaitForExit(10_000);
    }

    /// <summary>A client that follows the leader across all replicas, as the CLI does.</summary>
    public BankService.BankServiceClient Client()
    {
        var invoker = new FailoverInvoker(Urls);
        lock (_invokers)
        {
            _invokers.Add(invoker);
        }
        return new BankService.BankServiceClient(invoker.Intercept(m => { m.Add("authorization", "Bearer " + AdminToken); return m; }));
    }

    /// <summary>
    /// A client of one replica only (no following), over that replica's one channel: a channel a
    /// call (never disposed) left a connection open per status poll, and a slow run's polling
    /// reached the replicas' connection limit (4,096), after which they refused even the harness.
    /// </summary>
    public BankService.BankServiceClient Direct(int replica)
    {
        GrpcChannel channel;
        lock (_channels)
        {
            // Reconnects promptly after a replica's restart (the default backoff grows to minutes).
            channel = _channels[replica - 1] ??= GrpcChannel.ForAddress(Urls[replica - 1], new GrpcChannelOptions
            {
                InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
                MaxReconnectBackoff = TimeSpan.FromMilliseconds(500),
            });
        }
        return new(channel.CreateCallInvoker().Intercept(m => { m.Add("authorization", "Bearer " + AdminToken); return m; }));
    }

    public async Task<ReplicaStatus?> StatusAsync(int replica)
    {
        if (_processes[replica - 1] is null || _paused.Contains(replica))
        {
            return null;
        }
        try
        {
            // 5 s: a replica starved of CPU by the tests running beside it is slow, not down.
            return await Direct(replica).GetReplicaStatusAsync(new ReplicaStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
        }
        catch (RpcException)
        {
            return null;
        }
    }

    /// <summary>The replica that leads and that every running replica agrees on, once there is one.</summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var statuses = await Task.WhenAll(Enumerable.Range(1, Count).Select(StatusAsync));
            var leaders = statuses.Where(s => s?.Role == "leader").ToList();
            if (leaders.Count == 1 && statuses.Where(s => s is not null).All(s => s!.Leader == Urls[(int)leaders[0]!.Replica - 1]))
            {
                return (int)leaders[0]!.Replica;
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"No agreed leader within {timeout.TotalSeconds} s: {string.Join("; ", statuses.Select((s, i) => $"{i + 1}: {s?.Role ?? Unanswered(i + 1)} term {s?.Term} leader {s?.Leader}"))}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Why a replica gave no status: paused, exited (and how), or running but not answering, with its last log lines.</summary>
    private string Unanswered(int replica)
    {
        var process = _processes[replica - 1];
        var state = process is null ? "not started" : _paused.Contains(replica) ? "paused (SIGSTOP)" : process.HasExited ? "exited" : "running, not answering within 5 s";
        var lines = process?.Lines.TakeLast(6) ?? [];
        return $"down: {state}{(lines.Any() ? " — last lines: " + string.Join(" | ", lines) : "")}";
    }

    /// <summary>Waits until every running replica has applied everything the leader has committed.</summary>
    public async Task WaitForConvergenceAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var statuses = (await Task.WhenAll(Enumerable.Range(1, Count).Select(StatusAsync))).Where(s => s is not null).ToList();
            if (statuses.Count == Count && statuses.Select(s => (s!.AppliedIndex, s.HeadSequence, s.HeadHash)).Distinct().Count() == 1
                && statuses.All(s => s!.AppliedIndex == s.CommitIndex))
            {
                return;
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"The replicas did not converge within {timeout.TotalSeconds} s: {string.Join("; ", statuses.Select(s => $"{s!.Replica}: applied {s.AppliedIndex}/{s.CommitIndex} head {s.HeadSequence}"))}");
            }
            await Task.Delay(20);
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_channels)
        {
            foreach (var channel in _channels)
            {
                channel?.Dispose();
            }
        }
        for (var replica = 1; replica <= Count; replica++)
        {
            try
            {
                Kill(replica);
            }
#pragma warning disable CA1031 // Cleanup goes on for the other replicas whatever one did.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        lock (_invokers)
        {
            _invokers.ForEach(i => i.Dispose());
        }
        foreach (var directory in _data)
        {
            TempDirectory.Delete(directory);
        }
        return ValueTask.CompletedTask;
    }
}
