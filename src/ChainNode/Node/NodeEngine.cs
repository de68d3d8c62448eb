using System.Collections.Concurrent;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Mempool;
using LedgerContrast.ChainNode.Storage;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Collections;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Storage;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.ChainNode.Node;

public enum TransactionState
{
    Unknown,
    Pending,
    Confirmed,
    Conflicted,
}

public sealed record TransactionStatus(TransactionState State, Hash256? BlockHash = null, uint BlockHeight = 0, uint Confirmations = 0, Hash256? ConflictingTxid = null);

/// <summary>One block of a batch: what processing it did, or why it was refused (<paramref name="Refusal"/> set; <paramref name="Outcome"/> too if it was stored first).</summary>
public sealed record BlockResult(Block Block, BlockOutcome? Outcome, ConsensusException? Refusal);

public sealed record BlockTemplate(BlockHeader Header, IReadOnlyList<Transaction> Transactions, uint Height, long Version);

/// <summary>
/// One node's engine: chain, mempool and storage behind one state lock. Blocks are processed on
/// one dedicated chain thread (the only thread that writes the LiteDB file); transactions are
/// checked on the caller's thread, with signatures verified outside the lock so many can be
/// checked at once on all cores.
/// <para>
/// Fail-stop (Bitcoin Core's AbortNode, TigerBeetle's fail-stop): a storage failure, or any
/// failure that is not a refusal, while the chain thread changes state leaves memory and file
/// possibly apart. The node then stops serving at once (NODE_STOPPED), stops its host, and a
/// restart rebuilds everything from the file — which, one LiteDB transaction per step, is
/// consistent, and fork choice at startup finishes any reorganisation that was cut short.
/// </para>
/// </summary>
public sealed partial class NodeEngine : IDisposable
{
    private readonly Lock _sync = new();
    private readonly ChainStore _store;
    private readonly BlockingCollection<Action> _chainWork = new(new ConcurrentQueue<Action>());
    private readonly Thread _chainThread;
    private readonly ILogger _logger;
    private readonly Func<ulong> _clock;
    private long _templateVersion;

    public NodeEngine(ChainParameters parameters, string dataDirectory, ILogger logger, Func<ulong>? clock = null, long mempoolBytes = 5_000_000,
        TimeSpan? mempoolExpiry = null, IStorageFaultInjector? storageFaults = null)
    {
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _logger = logger;
        _clock = clock ?? (() => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        _store = new ChainStore(dataDirectory, storageFaults);
        _mempoolFile = new MempoolFile(dataDirectory);
        try
        {
            Chain = new Blockchain(parameters, _store);
            Pool = new TransactionPool(parameters, mempoolBytes, mempoolExpiry);
            foreach (var update in Chain.StartupUpdates)
            {
                LogStartupReorg(_logger, update.OldTip.Height, update.NewTip.Height, update.NewTip.Hash);
                ApplyToMempool(update);
            }
            ReloadMempool();
        }
        catch
        {
            _store.Dispose();
            throw;
        }
        _chainThread = new Thread(RunChainThread) { IsBackground = true, Name = "chain" };
        _chainThread.Start();
        _expirySweep = new Timer(_ => SweepExpired(), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        _mempoolSave = new Timer(_ => SaveMempool(), null, MempoolSaveInterval, MempoolSaveInterval);
    }

    /// <summary>How often the mempool is written to disk besides at a clean shutdown (a kill -9 loses at most this much).</summary>
    public static readonly TimeSpan MempoolSaveInterval = TimeSpan.FromMinutes(1);

    private readonly Timer _expirySweep;
    private readonly Timer _mempoolSave;
    private readonly MempoolFile _mempoolFile;
    private readonly Lock _mempoolSaving = new();
    private readonly CancellationTokenSource _stopped = new();
    private Exception? _fatal;
    private readonly BoundedLru<Hash256, bool> _doubleSpendsSeen = new(TransactionPool.MaxRememberedConflicts);

    /// <summary>Drops mempool transactions (and their descendants) older than the expiry.</summary>
    public int SweepExpired()
    {
        lock (_sync)
        {
            return Fatal is null ? Pool.RemoveExpired(_clock()).Count : 0;
        }
    }

    /// <summary>The failure that stopped the node (see fail-stop above), or null while it runs.</summary>
    public Exception? Fatal => Volatile.Read(ref _fatal);

    /// <summary>Cancelled once the node has stopped after a failure: the host stops with it.</summary>
    public CancellationToken Stopped => _stopped.Token;

    private void ThrowIfStopped()
    {
        if (Fatal is { } fatal)
        {
            throw new NodeStoppedException(fatal);
        }
    }

    /// <summary>Called under the lock on the chain thread: nothing in memory is trusted any more.</summary>
    private NodeStoppedException FailStop(Exception failure)
    {
        if (Interlocked.CompareExchange(ref _fatal, failure, null) is null)
        {
            LogFailStop(_logger, failure);
            _chainWork.CompleteAdding();
            // Not inline: stopping the host stops the miner, which may be waiting on this thread.
            ThreadPool.QueueUserWorkItem(_ => _stopped.Cancel());
        }
        return new NodeStoppedException(Fatal!);
    }

    public ChainParameters Parameters { get; }

    /// <summary>Whether the chain thread takes blocks (what the gRPC health check reports).</summary>
    public bool IsHealthy => _chainThread.IsAlive && !_chainWork.IsAddingCompleted; // a fail-stop completes adding
    public Hash256 NetworkId => Chain.NetworkId;

    /// <summary>Read these only inside <see cref="Read{T}"/>.</summary>
    internal Blockchain Chain { get; }
    internal TransactionPool Pool { get; }

    /// <summary>Raised (outside the lock) after a block changed the active chain.</summary>
    public event Action<ChainUpdate>? TipChanged;

    /// <summary>Raised (outside the lock) after a transaction entered the mempool.</summary>
    public event Action<Transaction>? TransactionAccepted;

    /// <summary>
    /// Raised once per valid transaction refused because the mempool already holds a spend of the
    /// same output: relayed like a transaction (double-spend relay), so every node can report it
    /// as conflicted rather than never hear of it.
    /// </summary>
    public event Action<Transaction>? DoubleSpendSeen;

    /// <summary>Changes whenever a block template would differ (new tip): miners abandon work when it does.</summary>
    public long TemplateVersion => Interlocked.Read(ref _templateVersion);

    public T Read<T>(Func<NodeEngine, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_sync)
        {
            ThrowIfStopped();
            return read(this);
        }
    }

    /// <summary>Processes a block on the chain thread; completes when it is stored and the chain updated (or it was refused).</summary>
    public Task<BlockOutcome> SubmitBlockAsync(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return OnChainThread(() =>
        {
            BlockOutcome outcome;
            lock (_sync)
            {
                ThrowIfStopped();
                try
                {
                    outcome = ProcessAndApply(block);
                }
                catch (Exception ex) when (ex is not ConsensusException)
                {
                    throw FailStop(ex);
                }
            }
            AnnounceUpdates(outcome.Updates);
            if (outcome.Rejection is not null)
            {
                throw outcome.Rejection;
            }
            return outcome;
        });
    }

    /// <summary>
    /// Processes a catch-up batch in order, each block as <see cref="SubmitBlockAsync"/> would,
    /// but many blocks per storage transaction (bounded by <see cref="MaxBlocksPerCommit"/> and
    /// <see cref="MaxTransactionsPerCommit"/>, so the state lock is never held for long): a
    /// commit writes its pages whatever it holds, and for small blocks it was most of the cost.
    /// Each block's refusal is returned, not thrown; blocks after a refused one are still tried
    /// (a block that builds on it is refused as such), unless <paramref name="stopAfter"/> says
    /// that refusal ends the batch: then the rest is not processed and has no result. Relay
    /// hears of each commit's tip changes only once they are committed.
    /// </summary>
    public async Task<IReadOnlyList<BlockResult>> SubmitBlocksAsync(IReadOnlyList<Block> blocks, Func<ConsensusException, bool>? stopAfter = null)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var results = new List<BlockResult>(blocks.Count);
        foreach (var commit in CommitGroups(blocks))
        {
            var processed = await OnChainThread(() => ProcessInOneCommit(commit, stopAfter)).ConfigureAwait(false);
            results.AddRange(processed);
            if (processed.Count < commit.Count)
            {
                break;
            }
        }
        return results;
    }

    public const int MaxBlocksPerCommit = 100;
    public const int MaxTransactionsPerCommit = 2_000;

    private static IEnumerable<List<Block>> CommitGroups(IReadOnlyList<Block> blocks)
    {
        var group = new List<Block>();
        var transactions = 0;
        foreach (var block in blocks)
        {
            if (group.Count > 0 && (group.Count == MaxBlocksPerCommit || transactions + block.Transactions.Count > MaxTransactionsPerCommit))
            {
                yield return group;
                (group, transactions) = ([], 0);
            }
            group.Add(block);
            transactions += block.Transactions.Count;
        }
        if (group.Count > 0)
        {
            yield return group;
        }
    }

    private List<BlockResult> ProcessInOneCommit(List<Block> blocks, Func<ConsensusException, bool>? stopAfter)
    {
        var results = new List<BlockResult>(blocks.Count);
        lock (_sync)
        {
            ThrowIfStopped();
            try
            {
                // The lock is held until the commit: no reader sees a block that is not on disk yet.
                _store.InOneTransaction(() =>
                {
                    foreach (var block in blocks)
                    {
                        try
                        {
                            var outcome = ProcessAndApply(block);
                            results.Add(new BlockResult(block, outcome, outcome.Rejection));
                        }
                        catch (ConsensusException ex)
                        {
                            results.Add(new BlockResult(block, null, ex));
                        }
                        if (results[^1].Refusal is { } refusal && stopAfter?.Invoke(refusal) == true)
                        {
                            break;
                        }
                    }
                });
            }
            catch (Exception ex) when (ex is not ConsensusException)
            {
                throw FailStop(ex);
            }
        }
        AnnounceUpdates([.. results.SelectMany(r => r.Outcome?.Updates ?? [])], asOne: true);
        return results;
    }

    /// <summary>
    /// Checks a peer's headers onto its branch (headers first, PROTOCOL.md §9) and, once the
    /// branch carries more work than the tip, marks its blocks as wanted, so each is stored when
    /// it arrives however deep the fork. Reads the chain and writes nothing to disk.
    /// </summary>
    /// <returns>The outcome, and whether the branch now beats the tip (its missing blocks are worth fetching).</returns>
    public (HeadersOutcome Outcome, bool MoreWork) ExtendHeaders(HeaderBranch branch, IReadOnlyList<BlockHeader> headers)
    {
        ArgumentNullException.ThrowIfNull(branch);
        return Read(node =>
        {
            var outcome = branch.Extend(node.Chain, headers, node._clock());
            var moreWork = branch.HasMoreWorkThan(node.Chain.Tip);
            if (moreWork)
            {
                node.Chain.Want(branch.Headers.Select(h => h.Hash));
            }
            return (outcome, moreWork);
        });
    }

    /// <summary>What of a branch is still to fetch, oldest first; the headers whose blocks are stored leave it.</summary>
    public List<Hash256> MissingBlocks(HeaderBranch branch)
    {
        ArgumentNullException.ThrowIfNull(branch);
        return Read(node =>
        {
            branch.DropStored(node.Chain);
            return branch.MissingBlocks(node.Chain);
        });
    }

    /// <summary>One block through the chain, and its tip changes through the mempool; the caller holds the lock.</summary>
    private BlockOutcome ProcessAndApply(Block block)
    {
        var outcome = Chain.ProcessBlock(block, _clock());
        if (outcome.Updates.Count > 0)
        {
            // All at once: the chain has made every change of the call by now (see Combine).
            ApplyToMempool(Chain.Combine(outcome.Updates));
        }
        return outcome;
    }

    /// <param name="asOne">
    /// A catch-up commit's tip changes are raised as one update (every block it disconnected and
    /// connected): relay announces a batch in one message rather than pushing each block of it.
    /// </param>
    private void AnnounceUpdates(IReadOnlyList<ChainUpdate> updates, bool asOne = false)
    {
        if (updates.Count == 0)
        {
            return;
        }
        Interlocked.Increment(ref _templateVersion);
        foreach (var update in updates)
        {
            LogTip(_logger, update.NewTip.Height, update.NewTip.Hash, update.Disconnected.Count);
        }
        if (asOne && updates.Count > 1)
        {
            TipChanged?.Invoke(new ChainUpdate([.. updates.SelectMany(u => u.Disconnected)], [.. updates.SelectMany(u => u.Connected)], updates[0].OldTip, updates[^1].NewTip));
            return;
        }
        foreach (var update in updates)
        {
            TipChanged?.Invoke(update);
        }
    }

    /// <summary>Mempool acceptance: checks under the lock, signatures outside it, then admission under it again.</summary>
    /// <param name="local">Submitted by this node's client (not relayed by a peer): kept and rebroadcast until it confirms.</param>
    public Hash256 SubmitTransaction(Transaction tx, bool local = false)
    {
        ArgumentNullException.ThrowIfNull(tx);
        try
        {
            return Admit(tx, local);
        }
        catch (ConsensusException ex) when (ex.Reason == RejectReasons.MempoolConflict)
        {
            if (!FirstTimeSeen(tx.Txid))
            {
                throw; // already relayed (or found invalid) once
            }
            // Only a validly signed spend of a real output is worth remembering and telling the network about.
            try
            {
                var spent = Read(node => TransactionRules.CheckInputs(tx, node.Chain.Utxos, node.Chain.Tip.Height + 1, Parameters, node.Chain.WhyMissing).Spent);
                TransactionRules.CheckSignatures(tx, spent, NetworkId);
            }
            catch (ConsensusException invalid)
            {
                throw invalid.ProvesMisbehaviour ? invalid : ex;
            }
            lock (_sync)
            {
                Pool.RememberRefusedConflict(tx, Hash256.Parse(ex.Details["conflicting_txid"]));
            }
            DoubleSpendSeen?.Invoke(tx);
            throw;
        }
        catch (ConsensusException ex) when (ex.Reason == RejectReasons.TxInputSpent && ex.Details.TryGetValue("out_point", out var spent))
        {
            // It arrived after a block spent the same output: it lost; say so, naming the winner
            // (from the index of recent spends: no block is read for anyone's unsigned junk, and
            // nothing is written for it — it is remembered only in the pool's bounded memory).
            var winner = Read(node => node.Chain.FindSpender(OutPoint.Parse(spent)));
            if (winner is { } w && w != tx.Txid)
            {
                lock (_sync)
                {
                    Pool.RememberRefusedConflict(tx, w);
                }
                throw new ConsensusException(ex.Reason, $"{ex.Message.TrimEnd('.')} by transaction {w}.",
                    new Dictionary<string, string>(ex.Details) { ["conflicting_txid"] = w.ToString() });
            }
            throw;
        }
    }

    /// <summary>Whether this double spend is new to this node: each is checked and relayed at most once.</summary>
    private bool FirstTimeSeen(Hash256 txid)
    {
        lock (_sync)
        {
            if (_doubleSpendsSeen.ContainsKey(txid))
            {
                return false;
            }
            _doubleSpendsSeen.Set(txid, true);
            return true;
        }
    }

    private Hash256 Admit(Transaction tx, bool local, ulong? receivedMs = null)
    {
        TxOutput[] spent;
        lock (_sync)
        {
            ThrowIfStopped();
            Amount fee;
            (fee, spent) = Pool.Check(tx, Chain);
            TransactionPool.RequireRelayFee(tx, fee);
        }
        TransactionRules.CheckSignatures(tx, spent, NetworkId);
        lock (_sync)
        {
            ThrowIfStopped();
            // The tip or the pool may have moved while signatures were checked: check again (cheap).
            var (fee, again) = Pool.Check(tx, Chain);
            if (!TransactionRules.SameOutputs(again, spent))
            {
                TransactionRules.CheckSignatures(tx, again, NetworkId);
            }
            Pool.Add(tx, fee, receivedMs ?? _clock(), local);
        }
        TransactionAccepted?.Invoke(tx);
        return tx.Txid;
    }

    /// <summary>Transactions this node's clients submitted that are still pending: what the node rebroadcasts.</summary>
    public IReadOnlyList<Transaction> LocalPending() => Read(node => node.Pool.Entries.Where(e => e.Local).Select(e => e.Transaction).ToList());

    /// <summary>Writes the pool to mempool.dat (at intervals and at a clean shutdown). A failure costs the cache, never the node.</summary>
    public void SaveMempool()
    {
        lock (_mempoolSaving)
        {
            List<SavedTransaction> snapshot;
            lock (_sync)
            {
                snapshot = [.. Pool.Entries.OrderBy(e => e.ReceivedMs).Select(e => new SavedTransaction(e.Transaction, e.ReceivedMs, e.Local))];
            }
            try
            {
                _mempoolFile.Save(snapshot);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogMempoolSaveFailed(_logger, _mempoolFile.FilePath, ex.Message);
            }
        }
    }

    /// <summary>Every saved transaction is admitted again with every check, signatures included; the stale ones fall away.</summary>
    private void ReloadMempool()
    {
        var saved = _mempoolFile.Load();
        var admitted = 0;
        foreach (var entry in saved)
        {
            try
            {
                Admit(entry.Transaction, entry.Local, entry.ReceivedMs);
                admitted++;
            }
            catch (ConsensusException)
            {
                // Confirmed, conflicted or expired meanwhile.
            }
        }
        Pool.RemoveExpired(_clock());
        if (saved.Count > 0)
        {
            LogMempoolReloaded(_logger, admitted, saved.Count);
        }
    }

    public TransactionStatus StatusOf(Hash256 txid) => Read(node =>
    {
        if (node.Chain.FindTransaction(txid) is { } location)
        {
            return new TransactionStatus(TransactionState.Confirmed, location.Block, location.Height, node.Chain.Tip.Height - location.Height + 1);
        }
        if (node.Pool.Find(txid) is not null)
        {
            return new TransactionStatus(TransactionState.Pending);
        }
        if (node.Chain.Conflicts.TryGetValue(txid, out var winner))
        {
            return new TransactionStatus(TransactionState.Conflicted, ConflictingTxid: winner);
        }
        return node.Pool.RefusedConflict(txid) is { } firstSeen
            ? new TransactionStatus(TransactionState.Conflicted, ConflictingTxid: firstSeen)
            : new TransactionStatus(TransactionState.Unknown);
    });

    /// <summary>
    /// The miner's policy (not a consensus rule): the largest block this node builds, in bytes, at
    /// most the consensus limit — Bitcoin Core's -blockmaxweight. Other nodes accept larger blocks.
    /// </summary>
    public int BlockMaxSize { get; init; } = int.MaxValue;

    /// <summary>A block to mine on the current tip: coinbase to <paramref name="minerKey"/>, then mempool transactions by fee rate, up to <see cref="BlockMaxSize"/>.</summary>
    public BlockTemplate CreateTemplate(byte[] minerKey)
    {
        ArgumentNullException.ThrowIfNull(minerKey);
        return Read(node =>
        {
            var version = node.TemplateVersion;
            var tip = node.Chain.Tip;
            var height = tip.Height + 1;
            var coinbaseSize = Transaction.SizeOf(1, 1);
            var chosen = node.Pool.SelectForBlock(Math.Min(Parameters.MaxBlockSize, BlockMaxSize) - BlockHeader.EncodedSize - 4 - coinbaseSize, Parameters.MaxBlockTransactions - 1);
            var fees = chosen.Aggregate(Amount.Zero, (sum, e) => sum + e.Fee);
            var coinbase = Transaction.CreateCoinbase(height, [new TxOutput(Parameters.BlockReward + fees, minerKey)]);
            List<Transaction> txs = [coinbase, .. chosen.Select(e => e.Transaction)];
            var time = Math.Max(_clock(), node.Chain.MedianTimePast(tip) + 1);
            var header = new BlockHeader(BlockHeader.CurrentVersion, tip.Hash, MerkleTree.ComputeRoot(txs.Select(t => t.Wtxid).ToList()), time, node.Chain.NextBits(tip), 0);
            return new BlockTemplate(header, txs, height, version);
        });
    }

    public IReadOnlyList<string> Verify() => OnChainThread(() => Read(node => node.Chain.Verify())).GetAwaiter().GetResult();

    private void ApplyToMempool(ChainUpdate update)
    {
        var conflicts = new List<(Hash256 Loser, Hash256 Winner)>();
        if (update.Disconnected.Count == 0)
        {
            foreach (var block in update.Connected)
            {
                conflicts.AddRange(Pool.RemoveForBlock(block));
            }
            Chain.RecordConflicts(conflicts);
            return;
        }
        // A reorganisation: every transaction of the old branch and of the pool is tried again
        // against the new chain; one that now conflicts is recorded with the spend that won.
        var spentByNewChain = update.Connected.SelectMany(b => b.Transactions.Skip(1))
            .SelectMany(t => t.Inputs.Select(i => (i.PreviousOutput, t.Txid)))
            .ToDictionary(p => p.PreviousOutput, p => p.Txid);
        var confirmedNow = update.Connected.SelectMany(b => b.Transactions).Select(t => t.Txid).ToHashSet();
        var conflictedBy = new Dictionary<Hash256, Hash256>();
        var drained = Pool.Drain();
        var previous = drained.ToDictionary(e => e.Txid);
        var candidates = update.Disconnected.AsEnumerable().Reverse().SelectMany(b => b.Transactions.Skip(1))
            .Concat(drained.Select(e => e.Transaction))
            .Where(t => !confirmedNow.Contains(t.Txid))
            .ToList();
        foreach (var tx in candidates)
        {
            try
            {
                // No signature check: each was checked when it first arrived, and what it signs
                // for cannot have changed (an out point names its output, and so its key, for good).
                var (fee, _) = Pool.Check(tx, Chain);
                Pool.Add(tx, fee, previous.TryGetValue(tx.Txid, out var entry) ? entry.ReceivedMs : _clock(), entry?.Local ?? false);
            }
            catch (ConsensusException)
            {
                // Lost directly (the new chain spends one of its outputs), or through a parent
                // that lost (candidates come parents first): either way the same spend won.
                var winner = tx.Inputs.Select(i => spentByNewChain.TryGetValue(i.PreviousOutput, out var w) ? w
                        : conflictedBy.TryGetValue(i.PreviousOutput.Txid, out var parentWinner) ? parentWinner : (Hash256?)null)
                    .FirstOrDefault(w => w is not null);
                if (winner is { } w)
                {
                    conflicts.Add((tx.Txid, w));
                    conflictedBy[tx.Txid] = w;
                    Pool.RememberLost(tx);
                }
            }
        }
        foreach (var block in update.Connected)
        {
            conflicts.AddRange(Pool.RemoveForBlock(block));
        }
        Chain.RecordConflicts(conflicts);
    }

    private Task<T> OnChainThread<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _chainWork.Add(() =>
            {
                try
                {
                    completion.TrySetResult(work());
                }
#pragma warning disable CA1031 // Every failure goes to the caller; the chain thread must live on.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    completion.TrySetException(ex);
                }
            });
        }
        catch (InvalidOperationException)
        {
            completion.TrySetException(Fatal is { } fatal ? new NodeStoppedException(fatal) : new ObjectDisposedException(nameof(NodeEngine), "The node is shutting down."));
        }
        return completion.Task;
    }

    private void RunChainThread()
    {
        foreach (var work in _chainWork.GetConsumingEnumerable())
        {
            work();
        }
    }

    public void Dispose()
    {
        _expirySweep.Dispose();
        _mempoolSave.Dispose();
        _chainWork.CompleteAdding();
        _chainThread.Join();
        SaveMempool();
        _chainWork.Dispose();
        _store.Dispose();
        _stopped.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save the mempool to {Path}: {Error}")]
    private static partial void LogMempoolSaveFailed(ILogger logger, string path, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reloaded {Admitted} of {Saved} saved mempool transactions")]
    private static partial void LogMempoolReloaded(ILogger logger, int admitted, int saved);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Storage or internal failure while changing the chain: the node stops; restart it to recover from its data directory")]
    private static partial void LogFailStop(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "At startup the node held a branch with more work than its stored tip: moved from height {OldHeight} to {NewHeight} ({Hash})")]
    private static partial void LogStartupReorg(ILogger logger, uint oldHeight, uint newHeight, Hash256 hash);

    [LoggerMessage(Level = LogLevel.Information, Message = "New tip at height {Height}: {Hash} ({Disconnected} blocks disconnected)")]
    private static partial void LogTip(ILogger logger, uint height, Hash256 hash, int disconnected);
}
