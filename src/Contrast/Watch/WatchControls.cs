using Grpc.Core;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.Contrast.Watch;

/// <summary>
/// What a teacher can do from the page, each through the same public gRPC APIs (and process
/// control) the CLIs and experiments use, each told in the step lines: pause or resume a node's
/// mining, partition two groups of nodes and heal them, kill -9 or restart a node, the bank or a
/// bank replica, kill -9 whichever replica leads, send a double spend to either system, sync a
/// light wallet from nothing (beside or alone with a lying node).
/// </summary>
public sealed class WatchControls(LabNetwork lab, NetworkWatcher watcher) : IDisposable
{
    private readonly Progress _progress = new("watch");
    // Controls run one at a time: a partition and a heal must not interleave their peer changes.
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private (LabNode[] A, LabNode[] B)? _partition;

    public static readonly IReadOnlyList<string> Actions = ["mining", "partition", "heal", "kill", "restart", "kill-leader", "double-spend-bank", "double-spend-chain", "light-sync"];

    /// <summary>The lies a light sync from the page can meet (the lab's lying node in front of the first node).</summary>
    public static readonly IReadOnlyDictionary<string, NodeLie> Lies = new Dictionary<string, NodeLie>
    {
        ["none"] = NodeLie.None,
        ["hide"] = NodeLie.HidePayments,
        ["forge"] = NodeLie.ForgePayment,
        ["bad-headers"] = NodeLie.InvalidHeaders,
    };

    /// <summary>Runs one control; a refusal (bad argument, nothing to heal) is a <see cref="CliException"/> with its reason.</summary>
    public async Task<string> RunAsync(string action, IReadOnlyDictionary<string, string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            return action switch
            {
                "mining" => await MiningAsync(Node(args.GetValueOrDefault("node")), args.GetValueOrDefault("on") != "false").ConfigureAwait(false),
                "partition" => await PartitionAsync(args.GetValueOrDefault("nodes")).ConfigureAwait(false),
                "heal" => await HealAsync().ConfigureAwait(false),
                "kill" => Kill(Process(args.GetValueOrDefault("process"))),
                "restart" => Restart(Process(args.GetValueOrDefault("process"))),
                "kill-leader" => await KillLeaderAsync().ConfigureAwait(false),
                "double-spend-bank" => await BankDoubleSpendAsync().ConfigureAwait(false),
                "double-spend-chain" => await ChainDoubleSpendAsync().ConfigureAwait(false),
                "light-sync" => await LightSyncAsync(args.GetValueOrDefault("wallet") ?? "carol", args.GetValueOrDefault("lie") ?? "none", args.GetValueOrDefault("alone") == "true").ConfigureAwait(false),
                _ => throw new CliException("UNKNOWN_ACTION", $"There is no control '{action}'; there are: {string.Join(", ", Actions)}."),
            };
        }
        catch (RpcException ex)
        {
            var error = RpcErrors.Describe(ex);
            throw new CliException(error.Reason, $"{action}: {error.Message}");
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public void Dispose() => _oneAtATime.Dispose();

    private LabNode Node(string? name) =>
        lab.Nodes.FirstOrDefault(n => n.Name == name) ?? throw new CliException("UNKNOWN_NODE", $"There is no node '{name}'; there are {string.Join(", ", lab.Nodes.Select(n => n.Name))}.");

    /// <summary>A process of network.json as it is now (a restart records a new pid): a node, the bank or a bank replica.</summary>
    private NetworkFile.NetworkProcess Process(string? name) =>
        (name == "bank" ? lab.File.Bank : lab.File.Nodes.Concat(lab.File.BankReplicas).FirstOrDefault(n => n.Name == name))
        ?? throw new CliException("UNKNOWN_PROCESS", $"There is no process '{name}'; there are {string.Join(", ", lab.File.Nodes.Select(n => n.Name).Concat(lab.HasBank ? ["bank"] : []).Concat(lab.File.BankReplicas.Select(r => r.Name)))}.");

    private async Task<string> KillLeaderAsync()
    {
        var replicated = lab.Replicated ?? throw new CliException("NO_REPLICAS", "This network has no replicated bank: start it with run-network.ps1 -BankReplicas 3.");
        var leaders = (await replicated.StatusAsync().ConfigureAwait(false)).Where(s => s.Status?.Role == "leader").Select(s => s.Process).ToList();
        if (leaders.Count != 1)
        {
            throw new CliException("NO_LEADER", "No replica leads right now (an election is under way, or a majority is down): try again in a moment.");
        }
        LabNetwork.Kill(leaders[0]);
        return Said($"replicated bank: kill -9 the leader {leaders[0].Name} (pid {leaders[0].Pid}); the others elect a new one, and clients that follow the leader retry there with the same keys");
    }

    private async Task<string> MiningAsync(LabNode node, bool on)
    {
        await lab.SetMiningAsync(node, on).ConfigureAwait(false);
        return Said($"{node.Name}: mining {(on ? "resumed" : "paused")}");
    }

    private async Task<string> PartitionAsync(string? names)
    {
        var a = (names ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Node).Distinct().ToArray();
        var b = lab.Nodes.Except(a).ToArray();
        if (a.Length == 0 || b.Length == 0)
        {
            throw new CliException("INVALID_ARGUMENT", "A partition needs nodes on both sides: name one group (e.g. node1); the rest form the other.");
        }
        if (_partition is not null)
        {
            await HealAsync().ConfigureAwait(false);
        }
        await Partition.CutAsync(a, b).ConfigureAwait(false);
        _partition = (a, b);
        return Said($"partition: {string.Join(",", a.Select(n => n.Name))} | {string.Join(",", b.Select(n => n.Name))} ({Partition.How}); each side now mines its own branch");
    }

    private async Task<string> HealAsync()
    {
        var (a, b) = _partition ?? throw new CliException("NOT_PARTITIONED", "There is no partition to heal.");
        await Partition.HealAsync(a, b).ConfigureAwait(false);
        _partition = null;
        return Said($"heal: {string.Join(",", a.Select(n => n.Name))} and {string.Join(",", b.Select(n => n.Name))} reconnected ({Partition.HealHow}); the branch with less work will be orphaned");
    }

    /// <summary>In an emulated run the switch drops the packets between the sides; on loopback the nodes remove each other.</summary>
    private LabPartition Partition => LabPartition.Of(lab.File, emulate: lab.File.Emulation is not null);

    private string Kill(NetworkFile.NetworkProcess process)
    {
        LabNetwork.Kill(process);
        return Said($"kill -9 {process.Name} (pid {process.Pid})");
    }

    private string Restart(NetworkFile.NetworkProcess process)
    {
        var running = process;
        if (IsRunning(running.Pid))
        {
            throw new CliException("ALREADY_RUNNING", $"{process.Name} is running (pid {running.Pid}); kill it first.");
        }
        var restarted = lab.Restart(running);
        return Said($"restart {process.Name} (pid {restarted.Pid})");
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private async Task<string> BankDoubleSpendAsync()
    {
        var alice = await BankLab.NewCustomerAsync(lab, "ds-alice", 100_00000000).ConfigureAwait(false);
        var bob = await BankLab.NewCustomerAsync(lab, "ds-bob", 0).ConfigureAwait(false);
        var carol = await BankLab.NewCustomerAsync(lab, "ds-carol", 0).ConfigureAwait(false);
        foreach (var customer in new[] { alice, bob, carol })
        {
            watcher.Watch(customer.Name, customer.AccountId);
        }
        _progress.Step($"bank: {alice.Name} holds 100 and sends all of it to {bob.Name} and to {carol.Name} at the same moment");
        var outcomes = await BankLab.RaceTransfersAsync(lab, alice, [bob, carol], 2, 100_00000000).ConfigureAwait(false);
        foreach (var refused in outcomes.Where(o => o.Reason != "OK"))
        {
            watcher.Refused("bank", refused.Reason, $"{alice.Name}'s second transfer of 100");
        }
        var succeeded = outcomes.Count(o => o.Reason == "OK");
        return Said($"bank: {succeeded} succeeded, {outcomes.Length - succeeded} refused ({string.Join(", ", outcomes.Where(o => o.Reason != "OK").Select(o => o.Reason))}) within {outcomes.Max(o => o.Ms):F0} ms — decided at once, for ever");
    }

    private async Task<string> ChainDoubleSpendAsync()
    {
        var first = lab.Nodes[0];
        var second = lab.Nodes.Count > 1 ? lab.Nodes[1] : first;
        using var alice = lab.Wallets.Load("alice");
        using var bob = lab.Wallets.Load("bob");
        using var carol = lab.Wallets.Load("carol");
        var info = await ChainLab.InfoAsync(first).ConfigureAwait(false);
        var coin = (await ChainLab.SpendableAsync(first, alice).ConfigureAwait(false)).FirstOrDefault()
            ?? throw new CliException("NO_COINS", "alice has no spendable coin yet: let the nodes mine a few blocks.");
        var toBob = ChainLab.Pay(coin, alice, bob, ChainLab.NetworkId(info));
        var toCarol = ChainLab.Pay(coin, alice, carol, ChainLab.NetworkId(info));
        _progress.Step($"chain: alice's coin signed twice: to bob {ChainLab.Abbreviate(toBob.Txid)} via {first.Name}, to carol {ChainLab.Abbreviate(toCarol.Txid)} via {second.Name}, at the same moment");
        async Task<string> SubmitAsync(LabNode node, Shared.Chain.Transaction tx)
        {
            try
            {
                await ChainLab.SubmitAsync(node, tx).ConfigureAwait(false);
                return "accepted";
            }
            catch (RpcException ex)
            {
                var reason = RpcErrors.Describe(ex).Reason;
                watcher.Refused("chain", reason, $"{node.Name}: {ChainLab.Abbreviate(tx.Txid)}");
                return reason;
            }
        }
        var answers = await Task.WhenAll(SubmitAsync(first, toBob), SubmitAsync(second, toCarol)).ConfigureAwait(false);
        return Said($"chain: {first.Name} answered {answers[0]}, {second.Name} answered {answers[1]}: both may hold a spend until a block decides — click a txid to find its block");
    }

    /// <summary>
    /// `chain light sync` from nothing for one of the network's wallets, as its own process: over
    /// every node, or with the lab's lying node in front of the first node beside the others (or alone).
    /// </summary>
    private async Task<string> LightSyncAsync(string walletName, string lieName, bool alone)
    {
        if (!Lies.TryGetValue(lieName, out var lie))
        {
            throw new CliException("INVALID_ARGUMENT", $"There is no lie '{lieName}'; there are: {string.Join(", ", Lies.Keys)}.");
        }
        if (lie == NodeLie.None && alone)
        {
            throw new CliException("INVALID_ARGUMENT", "Alone needs a lying node to be alone with: choose a lie.");
        }
        using var key = lab.Wallets.Load(walletName);
        var directory = Path.Combine(Path.GetTempPath(), "lc-watch-light-" + Guid.NewGuid().ToString("N"));
        await using var liar = lie == NodeLie.None ? null : await LyingNode.StartAsync(lab.Nodes[0].Url, lie, key.PublicKey.ToArray()).ConfigureAwait(false);
        try
        {
            var names = lab.Nodes.ToDictionary(n => n.Url, n => n.Name);
            var urls = liar is null ? lab.Nodes.Select(n => n.Url).ToList() : alone ? [liar.Url] : [liar.Url, .. lab.Nodes.Skip(1).Select(n => n.Url)];
            if (liar is not null)
            {
                names[liar.Url] = $"liar: {lab.Nodes[0].Name} behind a proxy ({lieName})";
            }
            var setup = liar is null ? $"every node ({string.Join(", ", lab.Nodes.Select(n => n.Name))})"
                : (alone ? "the lying node alone" : $"the lying node beside {string.Join(", ", lab.Nodes.Skip(1).Select(n => n.Name))}") + $" (a proxy in front of {lab.Nodes[0].Name} that {LyingNode.Describe(lie)})";
            var wallet = new LightWallet(LabNodeProcess.ExecutableOf(lab.File), LightWallet.ParametersOf(lab.File.Nodes[0].Command), directory, walletName, key);
            var run = await wallet.SyncAsync(urls).ConfigureAwait(false);
            var asked = run.Succeeded
                ? run.Json.GetProperty("nodes").EnumerateArray().Select(n => new LightAsked(
                    names.GetValueOrDefault(n.GetProperty("node").GetString()!, n.GetProperty("node").GetString()!),
                    n.GetProperty("offered_height").GetUInt32(),
                    n.GetProperty("headers_refused").GetString() is { } refused ? "refused: " + refused : n.GetProperty("followed").GetBoolean() ? "followed" : n.GetProperty("offered_height").GetUInt32() == 0 ? "nothing new" : "not followed (less work)",
                    n.GetProperty("filters").GetString()!,
                    n.GetProperty("bytes_received").GetInt64())).ToList()
                : [.. urls.Select(u => new LightAsked(names[u], 0, "", "", 0))];
            var shown = run.Succeeded ? $"{Shared.Money.Amount.FromMinorUnits(run.ConfirmedMinorUnits)} in {run.Json.GetProperty("coins").GetArrayLength()} coins, each proven" : $"nothing ({run.Reason})";
            var height = run.Succeeded ? run.Json.GetProperty("height").GetUInt32() : 0;
            watcher.LightSynced(new LightView(DateTime.Now.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), walletName, setup, asked, shown, height, Math.Round(run.Seconds, 1),
                run.Succeeded ? run.Json.GetProperty("bytes_downloaded").GetInt64() : 0));
            var caught = asked.Where(a => a.Filters.StartsWith("caught", StringComparison.Ordinal) || a.Headers.StartsWith("refused", StringComparison.Ordinal)).Select(a => a.Node).ToList();
            return Said($"light wallet {walletName} from nothing over {setup}: showed {shown}{(run.Succeeded ? $" under headers it checked to height {height}" : "")} in {run.Seconds:F1} s{(caught.Count > 0 ? $"; caught: {string.Join(", ", caught)}" : "")}");
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private string Said(string text)
    {
        _progress.Step(text);
        return text;
    }
}
