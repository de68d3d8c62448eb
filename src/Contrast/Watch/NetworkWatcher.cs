using System.Text.Json;
using Grpc.Core;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.Contrast.Watch;

public sealed record NodeView(string Name, string Url, bool Reachable, uint Height, string Tip, uint Peers, uint Mempool, bool Mining, string? Problem);

/// <param name="ActiveOn">The nodes whose active chain holds this block; none: orphaned (reorganised away everywhere).</param>
/// <param name="Tips">The nodes whose tip this block is.</param>
public sealed record BlockView(string Hash, uint Height, string Parent, string? Miner, IReadOnlyList<string> ActiveOn, IReadOnlyList<string> Tips, IReadOnlyList<string> Txids);

public sealed record CustomerView(string Name, string AccountId, string Balance);

/// <param name="NewerNotShown">Journal entries after this one and before the next line shown (or the journal's head): other customers' — the experiments'.</param>
public sealed record JournalLine(ulong Sequence, string EntryId, string Kind, string Amount, string From, string To, string Time, ulong NewerNotShown = 0);

public sealed record BankView(string Url, bool Serving, IReadOnlyList<CustomerView> Customers, IReadOnlyList<JournalLine> Journal);

public sealed record Refusal(string Time, string System, string Reason, string What);

/// <summary>One replica of the replicated bank as it describes itself; <paramref name="Lag"/>: entries behind the highest commit index any replica reports.</summary>
public sealed record ReplicaView(string Name, string Url, bool Reachable, string Role, ulong Term, ulong Commit, ulong Applied, ulong Lag, ulong HeadSequence);

/// <summary>One server a light wallet asked: what it offered and what the wallet made of its headers and filters.</summary>
public sealed record LightAsked(string Node, uint OfferedHeight, string Headers, string Filters, long BytesReceived);

/// <summary>The last light-wallet sync run from the page: who was asked (a lying node among them, if chosen), what it showed.</summary>
public sealed record LightView(string Time, string Wallet, string Setup, IReadOnlyList<LightAsked> Asked, string Shown, uint Height, double Seconds, long Downloaded);

/// <summary>Everything the live page shows, at one moment.</summary>
public sealed record Snapshot(long GeneratedMs, IReadOnlyList<NodeView> Nodes, IReadOnlyList<BlockView> Blocks, int Branches, BankView? Bank,
    IReadOnlyList<ReplicaView> Replicas, IReadOnlyList<string> Steps, IReadOnlyList<Refusal> Refusals, LightView? Light);

/// <summary>
/// Reads the running network through its public gRPC APIs once a second — every node's tip,
/// peers and mempool, the recent block tree across all nodes, the demo customers' balances and
/// journal — and keeps the latest snapshot for the page. Blocks are fetched once (they never
/// change) and forgotten once far below every tip.
/// </summary>
public sealed class NetworkWatcher(LabNetwork lab)
{
    /// <summary>Heights of the tree shown: enough for a partition's two branches and their fork point.</summary>
    public const int TreeDepth = 24;

    /// <summary>How deep below the tips an orphaned branch's fork point is looked for (the page draws those within three screens).</summary>
    public const int ForkDepth = 3 * TreeDepth;

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly Dictionary<string, CachedBlock> _blocks = [];
    private readonly Dictionary<string, string> _watchedAccounts = [];
    private readonly List<Refusal> _refusals = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _latest = "{}";
    private LightView? _light;

    private sealed record CachedBlock(uint Height, string Parent, string? Miner, IReadOnlyList<string> Txids);

    public string LatestJson
    {
        get
        {
            lock (_lock)
            {
                return _latest;
            }
        }
    }

    /// <summary>Completes when the next snapshot is ready.</summary>
    public Task NextAsync(CancellationToken cancellation)
    {
        lock (_lock)
        {
            return _next.Task.WaitAsync(cancellation);
        }
    }

    /// <summary>An account the page follows (balance and journal), e.g. one a control created.</summary>
    public void Watch(string name, string accountId)
    {
        lock (_lock)
        {
            _watchedAccounts[accountId] = name;
        }
    }

    public void Refused(string system, string reason, string what)
    {
        lock (_lock)
        {
            _refusals.Add(new Refusal(DateTime.Now.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), system, reason, what));
            if (_refusals.Count > 20)
            {
                _refusals.RemoveAt(0);
            }
        }
    }

    /// <summary>The last light-wallet sync, shown until the next.</summary>
    public void LightSynced(LightView view)
    {
        lock (_lock)
        {
            _light = view;
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        foreach (var (name, customer) in lab.File.Customers)
        {
            Watch(name, customer.AccountId);
        }
        while (!stopping.IsCancellationRequested)
        {
            var started = DateTime.UtcNow;
            var snapshot = await TakeAsync().ConfigureAwait(false);
            TaskCompletionSource done;
            lock (_lock)
            {
                _latest = JsonSerializer.Serialize(snapshot, s_json);
                done = _next;
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            done.SetResult();
            var rest = TimeSpan.FromMilliseconds(500) - (DateTime.UtcNow - started);
            try
            {
                await Task.Delay(rest > TimeSpan.Zero ? rest : TimeSpan.Zero, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task<Snapshot> TakeAsync()
    {
        var miners = lab.MinerNames();
        var nodes = new List<NodeView>();
        var tips = new List<(LabNode Node, string Tip, GetChainTipsReply? Forks)>();
        foreach (var node in lab.Nodes)
        {
            try
            {
                var info = await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: LabNode.Deadline(2)).ConfigureAwait(false);
                var tip = Convert.ToHexStringLower(info.TipHash.Span);
                nodes.Add(new NodeView(node.Name, node.Url, true, info.Height, tip, info.PeerCount, info.MempoolSize, info.Mining, null));
                var forks = await node.Api.GetChainTipsAsync(new GetChainTipsRequest(), deadline: LabNode.Deadline(2)).ConfigureAwait(false);
                tips.Add((node, tip, forks));
            }
            catch (RpcException ex)
            {
                nodes.Add(new NodeView(node.Name, node.Url, false, 0, "", 0, 0, false, ex.StatusCode == StatusCode.Unavailable ? "down" : ex.Status.Detail));
            }
        }
        var blocks = await TreeAsync(tips, miners).ConfigureAwait(false);
        var bank = lab.HasBank ? await BankAsync().ConfigureAwait(false) : null;
        var replicas = lab.Replicated is { } replicated ? ReplicasOf(await replicated.StatusAsync().ConfigureAwait(false)) : [];
        var journal = LabNetwork.StepJournalOf(lab.File);
        List<Refusal> refusals;
        LightView? light;
        lock (_lock)
        {
            refusals = [.. _refusals];
            light = _light;
        }
        // The experiments' refusals (contrast runs in its own process) beside the controls'.
        refusals = [.. refusals.Concat(ExperimentRefusals()).OrderBy(r => r.Time, StringComparer.Ordinal).TakeLast(20)];
        return new Snapshot(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), nodes, blocks, Branches([.. tips.Select(t => t.Tip).Distinct()]), bank, replicas,
            journal is null ? [] : Progress.Tail(journal, 40), refusals, light);
    }

    /// <summary>The last refusals the experiments recorded (Progress.Refused: time, system, reason, what, tab-separated).</summary>
    private IEnumerable<Refusal> ExperimentRefusals()
    {
        if (LabNetwork.RefusalJournalOf(lab.File) is not { } file)
        {
            return [];
        }
        return Progress.Tail(file, 20).Select(l => l.Split('\t')).Where(f => f.Length == 4).Select(f => new Refusal(f[0], f[1], f[2], f[3]));
    }

    private static List<ReplicaView> ReplicasOf(IReadOnlyList<(NetworkFile.NetworkProcess Process, ReplicaStatus? Status)> all)
    {
        var commit = all.Select(s => s.Status?.CommitIndex ?? 0).DefaultIfEmpty(0UL).Max();
        return [.. all.Select(s => s.Status is { } st
            ? new ReplicaView(s.Process.Name, s.Process.Url, true, st.Role, st.Term, st.CommitIndex, st.AppliedIndex, commit - Math.Min(commit, st.AppliedIndex), st.HeadSequence)
            : new ReplicaView(s.Process.Name, s.Process.Url, false, "down", 0, 0, 0, 0, 0))];
    }

    /// <summary>
    /// How many branches the nodes follow: their distinct tips, less those that lie on another's
    /// chain (a node one block behind is not on a fork). Two means a real fork: each side has
    /// blocks the other lacks.
    /// </summary>
    private int Branches(IReadOnlyList<string> tips)
    {
        bool Below(string tip, string other)
        {
            var hash = other;
            for (var i = 0; i < TreeDepth && _blocks.TryGetValue(hash, out var block); i++)
            {
                hash = block.Parent;
                if (hash == tip)
                {
                    return true;
                }
            }
            return false;
        }
        return tips.Count(t => !tips.Any(other => other != t && Below(t, other)));
    }

    private async Task<List<BlockView>> TreeAsync(List<(LabNode Node, string Tip, GetChainTipsReply? Forks)> tips, Dictionary<string, string> miners)
    {
        var activeOn = new Dictionary<string, List<string>>();
        var shown = new HashSet<string>();
        var top = 0u;
        // Where each node's active-chain walk stopped: the next block down, and the lowest height reached.
        var reached = new List<(LabNode Node, string Next, uint Height)>();
        async Task WalkActiveAsync(LabNode node, string hash, uint height, Func<CachedBlock, int, bool> more)
        {
            for (var i = 0; hash.Length > 0; i++)
            {
                var block = await BlockAsync(node, hash, miners).ConfigureAwait(false);
                if (block is null || !more(block, i))
                {
                    break;
                }
                top = Math.Max(top, block.Height);
                shown.Add(hash);
                (activeOn.TryGetValue(hash, out var list) ? list : activeOn[hash] = []).Add(node.Name);
                height = block.Height;
                hash = block.Height == 0 ? "" : block.Parent;
            }
            reached.Add((node, hash, height));
        }
        foreach (var (node, tip, _) in tips)
        {
            await WalkActiveAsync(node, tip, uint.MaxValue, (_, i) => i < TreeDepth).ConfigureAwait(false);
        }
        // Branches a node knows but does not follow: forks in progress, or orphaned after a reorg.
        var forkPoint = uint.MaxValue;
        foreach (var (node, _, forks) in tips)
        {
            foreach (var fork in forks?.Tips.Where(t => t.Status == ChainTip.Types.Status.ValidFork && t.Height + TreeDepth > top) ?? [])
            {
                var hash = Convert.ToHexStringLower(fork.Hash.Span);
                // The whole branch (blocks are fetched once), so its fork point is known.
                for (var i = 0; i < fork.BranchLength && i < ForkDepth; i++)
                {
                    var block = await BlockAsync(node, hash, miners).ConfigureAwait(false);
                    if (block is null)
                    {
                        break;
                    }
                    shown.Add(hash);
                    hash = block.Parent;
                }
                if (fork.BranchLength <= ForkDepth)
                {
                    forkPoint = Math.Min(forkPoint, fork.Height - fork.BranchLength);
                }
            }
        }
        // A branch is drawn from the block it forked from: the active chains go down that far too
        // (at most ForkDepth more), so an orphaned branch never floats apart from its chain.
        if (forkPoint != uint.MaxValue)
        {
            foreach (var (node, next, height) in reached.ToList())
            {
                if (height > forkPoint)
                {
                    await WalkActiveAsync(node, next, height, (b, i) => i < ForkDepth && b.Height >= forkPoint).ConfigureAwait(false);
                }
            }
        }
        var lowest = Math.Min(top >= TreeDepth ? top - TreeDepth + 1 : 0, forkPoint);
        foreach (var stale in _blocks.Where(b => b.Value.Height + 4 * TreeDepth < top).Select(b => b.Key).ToList())
        {
            _blocks.Remove(stale);
        }
        return [.. shown.Select(h => (Hash: h, Block: _blocks[h])).Where(b => b.Block.Height >= lowest).OrderBy(b => b.Block.Height)
            .Select(b => new BlockView(b.Hash, b.Block.Height, b.Block.Parent, b.Block.Miner, activeOn.GetValueOrDefault(b.Hash) ?? [],
                [.. tips.Where(t => t.Tip == b.Hash).Select(t => t.Node.Name)], b.Block.Txids))];
    }

    private async Task<CachedBlock?> BlockAsync(LabNode node, string hash, Dictionary<string, string> miners)
    {
        if (_blocks.TryGetValue(hash, out var cached))
        {
            return cached;
        }
        try
        {
            var reply = await node.Api.GetBlockAsync(new GetBlockRequest { Hash = Google.Protobuf.ByteString.CopyFrom(Convert.FromHexString(hash)) }, deadline: LabNode.Deadline(2)).ConfigureAwait(false);
            var coinbaseKey = reply.Block.Transactions.FirstOrDefault()?.Outputs.FirstOrDefault()?.PublicKey;
            var block = new CachedBlock(reply.Height, Convert.ToHexStringLower(reply.Block.Header.PreviousHash.Span),
                coinbaseKey is null ? null : miners.GetValueOrDefault(Convert.ToHexStringLower(coinbaseKey.Span)),
                [.. reply.Block.Transactions.Skip(1).Select(t => ChainProto.FromProto(t).Txid.ToString())]);
            _blocks[hash] = block;
            return block;
        }
        catch (RpcException)
        {
            return null;
        }
    }

    private async Task<BankView> BankAsync()
    {
        var admin = lab.RequireAdmin();
        Dictionary<string, string> accounts;
        lock (_lock)
        {
            accounts = new(_watchedAccounts);
        }
        var customers = new List<CustomerView>();
        var postings = new Dictionary<string, (Posting Posting, string Account)>();
        try
        {
            foreach (var (account, name) in accounts)
            {
                var balance = await admin.GetBalanceAsync(new GetBalanceRequest { AccountId = account }, deadline: LabNode.Deadline(2)).ConfigureAwait(false);
                customers.Add(new CustomerView(name, account, Amount.FromMinorUnits(balance.Balance).ToString()));
                var history = await admin.GetHistoryAsync(new GetHistoryRequest { AccountId = account, PageSize = 10 }, deadline: LabNode.Deadline(2)).ConfigureAwait(false);
                foreach (var posting in history.Postings)
                {
                    // A transfer is seen from both accounts: keep its debit side, which names the payer.
                    if (!postings.TryGetValue(posting.EntryId, out var known) || posting.Amount < 0 && known.Posting.Amount > 0)
                    {
                        postings[posting.EntryId] = (posting, account);
                    }
                }
            }
        }
        catch (RpcException)
        {
            return new BankView(lab.File.Bank!.Url, false, customers, []);
        }
        string Name(string account) => accounts.GetValueOrDefault(account) ?? account;
        ulong head;
        try
        {
            head = (await admin.GetReplicaStatusAsync(new ReplicaStatusRequest(), deadline: LabNode.Deadline(2)).ConfigureAwait(false)).HeadSequence;
        }
        catch (RpcException)
        {
            return new BankView(lab.File.Bank!.Url, false, customers, []);
        }
        var shown = postings.Values.OrderByDescending(p => p.Posting.Sequence).Take(12).ToList();
        var journal = shown.Select((p, i) =>
        {
            var debit = p.Posting.Amount < 0;
            var (from, to) = p.Posting.Kind switch
            {
                "DEPOSIT" => ("cash", Name(p.Account)),
                "WITHDRAWAL" => (Name(p.Account), "cash"),
                _ => debit ? (Name(p.Account), Name(p.Posting.CounterpartyAccountId)) : (Name(p.Posting.CounterpartyAccountId), Name(p.Account)),
            };
            var time = DateTimeOffset.FromUnixTimeMilliseconds((long)p.Posting.CommittedMs).ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            // Entries between this one and the next newer line shown belong to customers the page does not follow.
            var newer = i == 0 ? head + 1 : shown[i - 1].Posting.Sequence;
            var hidden = newer > p.Posting.Sequence ? newer - p.Posting.Sequence - 1 : 0;
            return new JournalLine(p.Posting.Sequence, p.Posting.EntryId, p.Posting.Kind, Amount.FromMinorUnits(Math.Abs(p.Posting.Amount)).ToString(), from, to, time, hidden);
        }).ToList();
        return new BankView(lab.File.Bank!.Url, true, [.. customers.OrderBy(c => c.Name, StringComparer.Ordinal)], journal);
    }
}
