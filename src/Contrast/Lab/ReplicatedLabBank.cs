using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.Contrast.Lab;

/// <summary>What the bank experiments need of a bank: an admin client, and a client per customer token.</summary>
public interface ILabBank
{
    BankService.BankServiceClient RequireAdmin();

    /// <summary>A client of its own (its own connection) acting with <paramref name="token"/>.</summary>
    BankService.BankServiceClient Client(string token);

    /// <summary>The bank's server processes on this machine (to read their CPU and JIT time).</summary>
    IReadOnlyList<int> ServerProcessIds { get; }
}

/// <summary>
/// The replicated bank of network.json (run-network.ps1 -BankReplicas N): clients that follow the
/// leader (<see cref="FailoverInvoker"/>), each replica's own answer (role, term, commit, journal
/// head), and its processes to kill, stop and restart through <see cref="LabNetwork"/>.
/// </summary>
public sealed class ReplicatedLabBank : ILabBank, IDisposable
{
    private readonly LabNetwork _lab;
    private readonly string _adminToken;
    private readonly List<IDisposable> _owned = [];
    private readonly BankService.BankServiceClient _admin;

    public ReplicatedLabBank(LabNetwork lab)
    {
        _lab = lab ?? throw new ArgumentNullException(nameof(lab));
        _adminToken = lab.File.ReadReplicaAdminToken()
            ?? throw new CliException("NO_ADMIN_TOKEN", $"The replicated bank's admin token file {lab.File.ReplicaAdminTokenFile} is missing.");
        Urls = [.. lab.File.BankReplicas.Select(r => r.Url)];
        _admin = Client(_adminToken);
    }

    public IReadOnlyList<string> Urls { get; }

    /// <summary>The replicas as network.json has them now (a restart records a new pid).</summary>
    public IReadOnlyList<NetworkFile.NetworkProcess> Processes => _lab.File.BankReplicas;

    public IReadOnlyList<int> ServerProcessIds => [.. Processes.Select(p => p.Pid)];

    public string Describe() => $"{Urls.Count} Raft replicas ({string.Join(", ", Processes.Select(p => p.Name))})";

    public BankService.BankServiceClient RequireAdmin() => _admin;

    public BankService.BankServiceClient Client(string token)
    {
        var invoker = new FailoverInvoker(Urls, LabNetwork.PromptReconnect);
        lock (_owned)
        {
            _owned.Add(invoker);
        }
        return new BankService.BankServiceClient(LabNetwork.WithBearerToken(invoker, token));
    }

    /// <summary>A client of one replica only, with the admin token: its own state (stale_ok reads, audit, status).</summary>
    public BankService.BankServiceClient Direct(string url)
    {
        var channel = GrpcChannel.ForAddress(url, LabNetwork.PromptReconnect);
        lock (_owned)
        {
            _owned.Add(channel);
        }
        return new BankService.BankServiceClient(LabNetwork.WithBearerToken(channel.CreateCallInvoker(), _adminToken));
    }

    /// <summary>Starts a replica again as run-network.ps1 did (its new pid is recorded in network.json).</summary>
    public NetworkFile.NetworkProcess Restart(NetworkFile.NetworkProcess process) => _lab.Restart(process);

    /// <summary>
    /// Every journal entry id in <paramref name="accountId"/>'s history as one replica has it
    /// (stale_ok: that replica's own state, without asking the leader), all pages.
    /// </summary>
    public async Task<HashSet<string>> EntryIdsAsync(string url, string accountId)
    {
        var client = Direct(url);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        ulong before = 0;
        while (true)
        {
            var page = await client.GetHistoryAsync(new GetHistoryRequest { AccountId = accountId, PageSize = 500, BeforeSequence = before, StaleOk = true }, deadline: DateTime.UtcNow.AddSeconds(30)).ConfigureAwait(false);
            foreach (var posting in page.Postings)
            {
                ids.Add(posting.EntryId);
            }
            if (page.NextBeforeSequence == 0)
            {
                return ids;
            }
            before = page.NextBeforeSequence;
        }
    }

    /// <summary>Each replica's own status, or null for one that does not answer within a second.</summary>
    public async Task<IReadOnlyList<(NetworkFile.NetworkProcess Process, ReplicaStatus? Status)>> StatusAsync()
    {
        var processes = Processes.ToList();
        var answers = await Task.WhenAll(processes.Select(async p =>
        {
            try
            {
                using var channel = GrpcChannel.ForAddress(p.Url);
                return await new BankService.BankServiceClient(channel).GetReplicaStatusAsync(new ReplicaStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(1)).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                return null;
            }
        })).ConfigureAwait(false);
        return [.. processes.Zip(answers)];
    }

    /// <summary>Waits until exactly one replica says it leads and returns its process.</summary>
    public async Task<NetworkFile.NetworkProcess> LeaderAsync(Progress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        NetworkFile.NetworkProcess? leader = null;
        await progress.UntilAsync("one bank replica leading", async () =>
        {
            var leaders = (await StatusAsync().ConfigureAwait(false)).Where(s => s.Status?.Role == "leader").ToList();
            leader = leaders.Count == 1 ? leaders[0].Process : null;
            return leader is not null;
        }, TimeSpan.FromSeconds(60), DescribeAsync).ConfigureAwait(false);
        return leader!;
    }

    /// <summary>Waits until every replica answers, has applied the highest commit index any reports, and all have one journal head.</summary>
    public async Task ConvergedAsync(Progress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        await progress.UntilAsync("every bank replica caught up (same applied index and journal head)", async () =>
        {
            var all = await StatusAsync().ConfigureAwait(false);
            if (all.Any(s => s.Status is null) || all.Count(s => s.Status!.Role == "leader") != 1)
            {
                return false;
            }
            var commit = all.Max(s => s.Status!.CommitIndex);
            return all.All(s => s.Status!.AppliedIndex == commit) && all.Select(s => (s.Status!.HeadSequence, s.Status.HeadHash)).Distinct().Count() == 1;
        }, TimeSpan.FromSeconds(60), DescribeAsync).ConfigureAwait(false);
    }

    /// <summary>`bank audit` on every replica (each its own ledger): whether all passed, and the distinct anchors (one, if they are byte-identical).</summary>
    public async Task<(bool AllPassed, IReadOnlyList<string> Anchors)> AuditEveryReplicaAsync()
    {
        var audits = await Task.WhenAll(Urls.Select(u => Direct(u).AuditAsync(new AuditRequest(), deadline: DateTime.UtcNow.AddMinutes(1)).ResponseAsync)).ConfigureAwait(false);
        return (audits.All(a => a.Ok), [.. audits.Select(a => $"{a.HeadSequence}:{a.HeadHash}").Distinct()]);
    }

    private async Task<string> DescribeAsync() =>
        string.Join("; ", (await StatusAsync().ConfigureAwait(false)).Select(s => s.Status is { } st
            ? $"{s.Process.Name} {st.Role} term {st.Term} commit {st.CommitIndex} applied {st.AppliedIndex}"
            : $"{s.Process.Name} not answering"));

    public void Dispose()
    {
        lock (_owned)
        {
            foreach (var owned in _owned)
            {
                owned.Dispose();
            }
            _owned.Clear();
        }
    }
}
