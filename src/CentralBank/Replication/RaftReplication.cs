using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using LedgerContrast.CentralBank.Ledger;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.CentralBank.Replication;

/// <summary>How quickly a replicated bank notices a dead leader (Raft's election timeout, ms).</summary>
public sealed record RaftTimings(int LowerElectionTimeoutMs = 150, int UpperElectionTimeoutMs = 300);

/// <summary>A replica's log or ledger cannot be trusted: it refuses to start (REPLICA_CORRUPT).</summary>
public sealed class ReplicaCorruptException(string message, Exception inner) : IOException(message, inner);

/// <summary>This process's replication, or none for a single server (what the API asks for status).</summary>
public sealed record ReplicaRole(RaftReplication? Replication);

/// <summary>What a replica says of itself (`bank status`, run-network.ps1 -Status).</summary>
public sealed record ReplicaState(string Role, int Replica, long Term, long CommitIndex, long AppliedIndex, long LastIndex, string Leader);

/// <summary>
/// One replica of a replicated bank: a DotNext Raft node over TCP with a write-ahead log in
/// DIR/raft, whose state machine is this replica's ledger. DotNext 6.12's log flushes every
/// appended entry before the append returns (its <c>FlushOnCommit</c> is always on), so a follower
/// acknowledges only what it holds on disk and "committed" means a majority does.
/// </summary>
public sealed partial class RaftReplication : ILedgerReplication, IAsyncDisposable
{
    private readonly ReplicaSet _replicas;
    private readonly int _self;
    private readonly string _logDirectory;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly RaftTimings _timings;
    private RaftCluster? _cluster;
    private WriteAheadLog? _log;
    private readonly Lock _readyLock = new();
    private (CancellationToken Leadership, long Term) _ready = (new CancellationToken(canceled: true), 0);
    private CancellationToken _barrierFor = new(canceled: true);

    public RaftReplication(ReplicaSet replicas, int self, string dataDirectory, ILoggerFactory loggers, RaftTimings? timings = null)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(loggers);
        if (self < 1 || self > replicas.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(self), $"--replica {self} is not in 1..{replicas.Count}.");
        }
        (_replicas, _self, _loggers, _timings) = (replicas, self, loggers, timings ?? new RaftTimings());
        _logDirectory = Path.Combine(dataDirectory, "raft");
        _logger = loggers.CreateLogger("Replication");
    }

    public ReplicaAddress Self => _replicas.Replicas[_self - 1];

    public ReplicaSet Replicas => _replicas;

    /// <summary>Opens the log (applying what it holds committed and this ledger lacks) and joins the cluster.</summary>
    public async Task StartAsync(BankLedger ledger, CancellationToken cancellation)
    {
        _log = new DurableLog(new WriteAheadLog.Options
        {
            Location = _logDirectory,
            HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash64,
        }, new LedgerStateMachine(ledger));
        var configuration = new RaftCluster.TcpConfiguration(Self.RaftEndPoint)
        {
            ConfigurationStorage = null!, // null: the members live in memory, from --replicas, the same on every replica
            LowerElectionTimeout = _timings.LowerElectionTimeoutMs,
            UpperElectionTimeout = _timings.UpperElectionTimeoutMs,
            RequestTimeout = TimeSpan.FromMilliseconds(_timings.LowerElectionTimeoutMs),
            ConnectTimeout = TimeSpan.FromMilliseconds(_timings.LowerElectionTimeoutMs),
            ColdStart = false,
            // Writes need the lease (a majority heard from within the election timeout): a leader
            // paused and resumed does not take writes on the strength of an old election.
            IsLeaderLeaseEnabled = true,
            LoggerFactory = _loggers,
        };
        var builder = ((InMemoryClusterConfigurationStorage<EndPoint>)configuration.ConfigurationStorage).CreateInitialConfigurationBuilder();
        foreach (var replica in _replicas.Replicas)
        {
            builder.Add(replica.RaftEndPoint);
        }
        builder.Build();
        _cluster = new RaftCluster(configuration) { AuditTrail = _log };
        _cluster.LeaderChanged += OnLeaderChanged;
        try
        {
            await _cluster.StartAsync(cancellation).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WriteAheadLog.HashMismatchException or WriteAheadLog.MissingPageException or InvalidDataException
            || ex.InnerException is WriteAheadLog.HashMismatchException or WriteAheadLog.MissingPageException or InvalidDataException)
        {
            var cause = (ex is WriteAheadLog.HashMismatchException or WriteAheadLog.MissingPageException or InvalidDataException ? ex : ex.InnerException!).Message.TrimEnd('.');
            throw new ReplicaCorruptException(
                $"Replica {_self}'s Raft log in {Path.GetFullPath(_logDirectory)} is damaged ({cause}), so it stopped rather than serve. Restore it from a healthy replica: stop that one, copy its whole data directory over this one's, and start both.", ex);
        }
    }

    private void OnLeaderChanged(RaftCluster<RaftClusterMember> cluster, RaftClusterMember? leader)
    {
        var name = _replicas.ByRaftEndPoint(leader?.EndPoint)?.ToString() ?? "none";
        var term = cluster.Term;
        LogLeaderChanged(_logger, _self, name, term);
        if (leader is { IsRemote: false })
        {

            _ = RefuseWrites(); // starts the new leader's read barrier now, not at its first request
        }
    }

    /// <summary>A new leader takes writes once it has applied every entry committed before its term (its checks read that state).</summary>
    private async Task BecomeReadyAsync(CancellationToken leadership)
    {
        try
        {
            // The term is read before the barrier and checked after it: had a higher term reached
            // this replica in between, the barrier's round of heartbeats would have failed or the
            // term would differ, and this leadership is not made ready.
            var cluster = _cluster!;
            var term = cluster.Term;
            await cluster.ApplyReadBarrierAsync(leadership).ConfigureAwait(false);
            lock (_readyLock)
            {
                if (!leadership.IsCancellationRequested && cluster.Term == term)
                {
                    _ready = (leadership, term);
                }
                else
                {
                    _barrierFor = new CancellationToken(canceled: true); // let the next request try again
                }
            }
        }
#pragma warning disable CA1031 // Leadership lost before the barrier: nothing to be ready for.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var error = ex.GetType().Name;
            LogNotReady(_logger, error, ex.Message);
        }
    }

    public Rejection? RefuseWrites()
    {
        var leadership = _cluster?.LeadershipToken ?? new CancellationToken(canceled: true);
        if (leadership.IsCancellationRequested)
        {
            return NotLeader();
        }
        if (!_cluster!.TryGetLeaseToken(out var lease) || lease.IsCancellationRequested)
        {
            return new Rejection(Reasons.NotLeader, $"Replica {_self} has not heard from a majority of replicas lately, so it cannot be sure it still leads; retry shortly.", RetryAfterMs: 50);
        }
        lock (_readyLock)
        {
            if (_ready.Leadership == leadership)
            {
                return null;
            }
            if (leadership != _barrierFor)
            {
                _barrierFor = leadership;
                _ = BecomeReadyAsync(leadership);
            }
        }
        return new Rejection(Reasons.NotLeader, $"Replica {_self} was just elected and is applying what earlier leaders committed; retry in a moment.",
            RetryAfterMs: 20, Leader: Self.GrpcUrl);
    }

    private Rejection NotLeader()
    {
        var leader = LeaderAddress();
        return leader is null || leader == Self
            ? new Rejection(Reasons.NotLeader, $"Replica {_self} does not lead and no leader is elected yet; retry shortly.", RetryAfterMs: 100)
            : new Rejection(Reasons.NotLeader, $"Replica {_self} does not lead; the leader is {leader}.", Leader: leader.GrpcUrl);
    }

    private ReplicaAddress? LeaderAddress() => _replicas.ByRaftEndPoint(_cluster?.Leader?.EndPoint);

    /// <summary>
    /// Appends the entry stamped with the term this replica was elected in, never the term its
    /// log holds now. DotNext's own <c>ReplicateAsync(payload)</c> stamps the log's current term:
    /// a leader paused (SIGSTOP) and resumed can have learned the next term from the new leader
    /// a moment before its leadership ends, and then appends its entry under the new leader's term
    /// at an index where the new leader has another entry. Same index, same term, different
    /// entries: Raft's log matching breaks, and the old leader applied its own entry as committed.
    /// The Jepsen-style test caught it (docs/BANK.md).
    /// </summary>
    public Task ReplicateAsync(ReadOnlyMemory<byte> entry, object context, CancellationToken cancellation)
    {
        var cluster = _cluster ?? throw new InvalidOperationException("The replica has not started.");
        (CancellationToken Leadership, long Term) ready;
        lock (_readyLock)
        {
            ready = _ready;
        }
        if (ready.Leadership.IsCancellationRequested || ready.Leadership != cluster.LeadershipToken || cluster.Term != ready.Term)
        {
            throw new NotLeaderException();
        }
        return cluster.ReplicateAsync(new BinaryLogEntry { Content = entry, Term = ready.Term, Context = context }, cancellation).AsTask();
    }

    public async Task<Rejection?> ReadBarrierAsync(CancellationToken cancellation)
    {
        if (RefuseWrites() is { } refusal)
        {
            return refusal;
        }
        try
        {
            await _cluster!.ApplyReadBarrierAsync(cancellation).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            return NotLeader();
        }
    }

    public ReplicaState Describe(long appliedIndex)
    {
        var cluster = _cluster;
        var role = cluster is null ? "starting"
            : !cluster.LeadershipToken.IsCancellationRequested ? "leader"
            : cluster.Leader is null ? "candidate" : "follower";
        return new ReplicaState(role, _self, cluster?.Term ?? 0, _log?.LastCommittedEntryIndex ?? 0, Math.Max(appliedIndex, _log?.LastAppliedIndex ?? 0),
            _log?.LastEntryIndex ?? 0, LeaderAddress()?.GrpcUrl ?? "");
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            _cluster.LeaderChanged -= OnLeaderChanged;
            await _cluster.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
        if (_log is not null)
        {
            await _log.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica}: the leader is now {Leader} (term {Term})")]
    private static partial void LogLeaderChanged(ILogger logger, int replica, string leader, long term);

    [LoggerMessage(Level = LogLevel.Information, Message = "A new leadership ended before its read barrier ({Error}: {Detail})")]
    private static partial void LogNotReady(ILogger logger, string error, string detail);
}
