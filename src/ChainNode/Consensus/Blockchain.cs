using LedgerContrast.ChainNode.Storage;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Collections;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Consensus;

public enum BlockAcceptance
{
    Accepted,
    AlreadyKnown,
    Orphan,
}

/// <summary>What processing one block did to the active chain (for the mempool, the miner and relay).</summary>
public sealed record ChainUpdate(IReadOnlyList<Block> Disconnected, IReadOnlyList<Block> Connected, BlockIndexEntry OldTip, BlockIndexEntry NewTip);

/// <param name="Rejection">
/// Set when the block was stored but broke a rule only found while connecting it (a bad
/// signature, a coinbase paying too much…). The chain is already restored and the updates
/// still apply; the caller reports the rejection after applying them.
/// </param>
public sealed record BlockOutcome(BlockAcceptance Acceptance, Hash256 Hash, IReadOnlyList<ChainUpdate> Updates, Hash256? MissingParent = null, ConsensusException? Rejection = null);

public sealed record ChainTipInfo(Hash256 Hash, uint Height, uint BranchLength, string Status);

/// <summary>
/// One node's view of the chain: the block tree with cumulative work, the active chain (most
/// work, first seen on ties), the UTXO set, and the rules that move between them — connect,
/// disconnect with undo data, reorganise, and undo a reorg that meets an invalid block. Not
/// thread-safe: the node calls it from its chain thread, under its state lock.
/// </summary>
public sealed class Blockchain : IHeaderChain
{
    /// <summary>
    /// How much less work than the tip a side branch may have and still be stored when its
    /// branch's work is unknown (a block nobody's headers vouched for): the work of this many
    /// recent blocks. Blocks of a header chain proven heavier (<see cref="Want"/>) are never held to it.
    /// </summary>
    public const int MaxReorgDepth = 144;

    private readonly ChainParameters _parameters;
    private readonly ChainStore _store;
    private readonly Dictionary<Hash256, BlockIndexEntry> _index = [];
    private readonly List<BlockIndexEntry> _active = [];
    private readonly Dictionary<Hash256, (Hash256 Block, uint Height, int Outputs)> _txLocations = [];
    private readonly OrphanPool _orphans = new();
    private readonly BoundedLru<Hash256, string> _rejected = new(10_000);
    private readonly BoundedLru<OutPoint, Hash256> _recentSpends = new(200_000);
    private readonly Dictionary<Hash256, ConsensusException> _connectFailures = [];
    private readonly Dictionary<Hash256, Hash256> _conflicts = [];
    private readonly BoundedLru<Hash256, bool> _wanted = new(MaxWantedBlocks);
    private long _sequence;

    /// <summary>How many blocks of header chains proven heavier are remembered as wanted (a few branches' worth; see <see cref="HeaderBranch"/>).</summary>
    public const int MaxWantedBlocks = 100_000;

    /// <param name="forkChoice">
    /// After loading, finish what a stopped node left undone (move to a heavier stored branch).
    /// Off for `chain verify`, which reads the store as it is and writes nothing.
    /// </param>
    public Blockchain(ChainParameters parameters, ChainStore store, bool forkChoice = true)
    {
        _parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        var genesis = Genesis.Create(parameters);
        NetworkId = genesis.Hash;
        if (_store.LoadTip() is null)
        {
            InitialiseGenesis(genesis);
        }
        else
        {
            Load();
            if (_active[0].Hash != NetworkId)
            {
                throw new InvalidOperationException($"The data directory holds a chain of another network (genesis {_active[0].Hash}, expected {NetworkId}).");
            }
            if (forkChoice)
            {
                // A node stopped mid-reorganisation, or between storing a block and connecting it,
                // is on a tip with less work than a branch it holds: finish the job now (Bitcoin
                // Core activates the best chain at startup), rather than wait for some new block.
                _candidates.UnionWith(_index.Values.Where(e => e.Status != BlockStatus.Invalid && e.ChainWork > Tip.ChainWork));
                var updates = new List<ChainUpdate>();
                ActivateBestChain(updates);
                _connectFailures.Clear();
                if (updates.Count > 0)
                {
                    StartupUpdates = [FinishedReorg(updates)];
                }
            }
        }
    }

    /// <summary>
    /// A reorganisation finished at startup, as one update. Blocks the stopped run had already
    /// disconnected are in no update (their disconnect was committed), yet their payments never
    /// reached the mempool: every once-connected block off the active chain within reach of the
    /// tip is counted as disconnected too, so its transactions are offered to the mempool again
    /// (the confirmed and the conflicting ones are refused there, as in any reorganisation).
    /// </summary>
    private ChainUpdate FinishedReorg(List<ChainUpdate> updates)
    {
        var floor = Tip.Height > MaxReorgDepth ? Tip.Height - MaxReorgDepth : 0;
        var combined = Combine(updates);
        var known = combined.Disconnected.Select(b => b.Hash).ToHashSet();
        var disconnected = combined.Disconnected.ToList();
        foreach (var entry in _index.Values.Where(e => e.Status == BlockStatus.Valid && e.Height > floor && !IsOnActiveChain(e) && !known.Contains(e.Hash)))
        {
            if (LoadBlock(entry.Hash) is { } block)
            {
                disconnected.Add(block);
            }
        }
        return combined with { Disconnected = [.. disconnected.OrderByDescending(b => _index[b.Hash].Height)] };
    }

    /// <summary>
    /// Several tip changes of one call — a reorganisation, then the waiting orphans it let connect —
    /// as one, read against the chain as it stands after all of them: the blocks disconnected that
    /// are off the active chain now (tip first) and the blocks connected that are on it (oldest
    /// first). The mempool re-checks against the chain as it is, so it must see them so: applied
    /// one by one, a payment of the first change's old branch fails against a spend that only a
    /// later change connected, and nothing names that spend the winner.
    /// </summary>
    public ChainUpdate Combine(IReadOnlyList<ChainUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 1)
        {
            return updates[0];
        }
        bool Active(Block b) => Find(b.Hash) is { } entry && IsOnActiveChain(entry);
        var disconnected = updates.SelectMany(u => u.Disconnected).DistinctBy(b => b.Hash).Where(b => !Active(b)).OrderByDescending(b => _index[b.Hash].Height);
        var connected = updates.SelectMany(u => u.Connected).DistinctBy(b => b.Hash).Where(Active).OrderBy(b => _index[b.Hash].Height);
        return new ChainUpdate([.. disconnected], [.. connected], updates[0].OldTip, updates[^1].NewTip);
    }

    /// <summary>How fork choice at startup moved the stored tip (the mempool replays these).</summary>
    public IReadOnlyList<ChainUpdate> StartupUpdates { get; } = [];

    public Hash256 NetworkId { get; }
    public ChainParameters Parameters => _parameters;
    public UtxoSet Utxos { get; } = new();
    public BlockIndexEntry Tip => _active[^1];
    public IReadOnlyList<BlockIndexEntry> ActiveChain => _active;
    public OrphanPool Orphans => _orphans;
    public IReadOnlyDictionary<Hash256, Hash256> Conflicts => _conflicts;

    /// <summary>Every confirmed transaction's id (for lookups by prefix).</summary>
    public IEnumerable<Hash256> ConfirmedTxids => _txLocations.Keys;

    /// <summary>Every block this node stores, on the active chain or not (for lookups by prefix).</summary>
    public IEnumerable<Hash256> BlockHashes => _index.Keys;

    public BlockIndexEntry? Find(Hash256 hash) => _index.GetValueOrDefault(hash);

    /// <summary>The reason a block with this hash was refused for its own fault, if it was (bounded memory: the most recent 10,000).</summary>
    public string? RejectedReason(Hash256 hash) => _rejected.TryPeek(hash, out var reason) ? reason : null;

    /// <summary>
    /// The blocks of a header chain whose work beats the tip (headers first): each is stored when
    /// it arrives however deep below the tip its branch forks, since its branch is known to win.
    /// </summary>
    public void Want(IEnumerable<Hash256> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        foreach (var hash in blocks)
        {
            _wanted.Set(hash, true);
        }
    }

    public bool IsOnActiveChain(BlockIndexEntry entry) => entry.Height < _active.Count && _active[(int)entry.Height] == entry;

    public (Hash256 Block, uint Height, int Outputs)? FindTransaction(Hash256 txid) =>
        _txLocations.TryGetValue(txid, out var location) ? location : null;

    public Block? LoadBlock(Hash256 hash) =>
        _recentBlocks.TryGet(hash, out var block) ? block
        : _index.TryGetValue(hash, out var entry) ? _store.LoadBlock(entry.Height, hash)
        : null;

    /// <summary>
    /// The blocks stored last, as decoded: connecting a block just stored, and peers fetching a
    /// block just relayed, would otherwise read and decode it again. Bounded by count and bytes.
    /// </summary>
    private readonly BoundedLru<Hash256, Block> _recentBlocks = new(64, maxWeight: 16_000_000, weigh: b => b.Size);

    /// <summary>
    /// Takes a block from anyone, in any order; returns how it changed the active chain. A block
    /// whose parent is unknown waits (bounded) until the parent arrives; then it and every waiting
    /// descendant are processed too.
    /// </summary>
    public BlockOutcome ProcessBlock(Block block, ulong nowMs)
    {
        ArgumentNullException.ThrowIfNull(block);
        var outcome = ProcessOne(block, nowMs);
        _connectFailures.Clear();
        if (outcome.Acceptance != BlockAcceptance.Accepted || outcome.Rejection is not null)
        {
            return outcome;
        }
        var updates = new List<ChainUpdate>(outcome.Updates);
        var accepted = new Queue<Hash256>([block.Hash]);
        while (accepted.TryDequeue(out var parent))
        {
            foreach (var child in _orphans.TakeChildren(parent))
            {
                try
                {
                    var childOutcome = ProcessOne(child, nowMs);
                    updates.AddRange(childOutcome.Updates);
                    if (childOutcome.Rejection is null)
                    {
                        accepted.Enqueue(child.Hash);
                    }
                }
                catch (ConsensusException)
                {
                    // An invalid orphan is dropped; its sender was answered when it arrived.
                }
            }
        }
        return outcome with { Updates = updates };
    }

    private BlockOutcome ProcessOne(Block block, ulong nowMs)
    {
        var hash = block.Hash;
        if (_index.TryGetValue(hash, out var known))
        {
            if (known.Status == BlockStatus.Invalid)
            {
                throw new ConsensusException(known.InvalidReason.Length > 0 ? known.InvalidReason : RejectReasons.BlockInvalidParent, $"Block {hash} is known to be invalid.") { Fault = BlockFault.Invalid };
            }
            return new BlockOutcome(BlockAcceptance.AlreadyKnown, hash, []);
        }
        if (_rejected.TryGet(hash, out var rejectedReason))
        {
            throw new ConsensusException(rejectedReason, $"Block {hash} was already rejected ({rejectedReason}).") { Fault = BlockFault.Invalid };
        }
        if (_orphans.Contains(hash))
        {
            return new BlockOutcome(BlockAcceptance.Orphan, hash, [], block.Header.PreviousHash);
        }
        try
        {
            BlockRules.CheckProofOfWork(block.Header, _parameters);
            if (!_index.TryGetValue(block.Header.PreviousHash, out var parent))
            {
                RequireOrphanWork(block);
                BlockRules.CheckBody(block, _parameters);
                _orphans.Add(block);
                return new BlockOutcome(BlockAcceptance.Orphan, hash, [], block.Header.PreviousHash);
            }
            if (parent.Status == BlockStatus.Invalid)
            {
                throw new ConsensusException(RejectReasons.BlockInvalidParent, $"Block {hash} builds on invalid block {parent.Hash}.");
            }
            BlockRules.CheckBody(block, _parameters);
            BlockRules.CheckAgainstParent(block, parent.Height + 1, NextBits(parent), MedianTimePast(parent), nowMs, _parameters);
            RequireEnoughWork(block, parent);
            var updates = new List<ChainUpdate>();
            Store(block, parent);
            ActivateBestChain(updates);
            var rejection = _connectFailures.Remove(hash, out var failure) ? failure
                : _index[hash].Status == BlockStatus.Invalid ? new ConsensusException(RejectReasons.BlockInvalidParent, $"Block {hash} builds on a block that turned out invalid.")
                : null;
            return new BlockOutcome(BlockAcceptance.Accepted, hash, updates, Rejection: rejection);
        }
        catch (ConsensusException ex) when (BlockFaults.MayCacheHash(ex.Fault))
        {
            // Only the block's own fault is remembered by hash: a mutated body or a time in the
            // future says nothing about the real block with this header.
            _rejected.Set(hash, ex.Reason);
            throw;
        }
    }

    /// <summary>
    /// An orphan's height is unknown, but its target cannot be far easier than our tip's: the
    /// retarget rule moves it by at most <see cref="ChainParameters.MaxRetargetFactor"/> per block,
    /// and a block many steps easier belongs to a cheap branch that could never win. Keeping those
    /// out of the (bounded) orphan pool keeps them from pushing out the orphans that matter.
    /// </summary>
    private void RequireOrphanWork(Block block)
    {
        var limit = Target.FromCompact(Tip.Header.Bits) * System.Numerics.BigInteger.Pow(_parameters.MaxRetargetFactor, OrphanRetargetSteps);
        if (Target.FromCompact(block.Header.Bits) > limit)
        {
            throw new ConsensusException(RejectReasons.BlockInsufficientWork,
                $"Orphan {block.Hash} has a target more than {OrphanRetargetSteps} retarget steps easier than the tip's; it is not kept.");
        }
    }

    /// <summary>How many maximal retarget steps easier than the tip an orphan's target may be.</summary>
    public const int OrphanRetargetSteps = 8;

    /// <summary>
    /// A block of a header chain proven heavier is always stored. Any other side branch, whose
    /// work is unknown, is stored only if it could still win: its work may trail the tip by at
    /// most the work of the last <see cref="MaxReorgDepth"/> blocks. Otherwise anyone could fork
    /// from deep history, where difficulty was low, and fill the disk with blocks costing a few
    /// hashes. Not the block's fault (it may be valid), so not cached and not punished: the peer
    /// manager then asks the sender for its headers, which prove the branch's work or store nothing.
    /// </summary>
    private void RequireEnoughWork(Block block, BlockIndexEntry parent)
    {
        if (_wanted.ContainsKey(block.Hash))
        {
            return;
        }
        var work = parent.ChainWork + Target.Work(block.Header.Bits);
        var reach = _active.Count > MaxReorgDepth ? Tip.ChainWork - _active[^(MaxReorgDepth + 1)].ChainWork : Tip.ChainWork;
        if (work + reach < Tip.ChainWork)
        {
            throw new ConsensusException(RejectReasons.BlockInsufficientWork,
                $"Block {block.Hash} forks off more than {MaxReorgDepth} blocks' work below the tip; it cannot win and is not stored.");
        }
    }

    public uint NextBits(BlockIndexEntry parent) => HeaderRules.NextBits(parent, _parameters);

    public ulong MedianTimePast(BlockIndexEntry entry) => HeaderRules.MedianTimePast(entry, _parameters);

    public IReadOnlyList<ChainTipInfo> ChainTips()
    {
        var tips = new List<ChainTipInfo>();
        foreach (var entry in _index.Values.Where(e => e.Children == 0))
        {
            var fork = entry;
            while (fork is not null && !IsOnActiveChain(fork))
            {
                fork = fork.Parent;
            }
            var status = entry == Tip ? "active" : entry.Status == BlockStatus.Invalid ? "invalid" : "valid-fork";
            tips.Add(new ChainTipInfo(entry.Hash, entry.Height, entry.Height - (fork?.Height ?? 0), status));
        }
        return [.. tips.OrderByDescending(t => t.Status == "active").ThenByDescending(t => t.Height)];
    }

    /// <summary>Rebuilds the UTXO set from the stored blocks of the active chain and lists every difference from the stored set.</summary>
    public IReadOnlyList<string> Verify()
    {
        var rebuilt = new Dictionary<OutPoint, UtxoEntry>();
        foreach (var entry in _active.Skip(1))
        {
            var block = LoadBlock(entry.Hash) ?? throw new InvalidOperationException($"Block {entry.Hash} of the active chain is missing from storage.");
            foreach (var tx in block.Transactions)
            {
                if (!tx.IsCoinbase)
                {
                    foreach (var input in tx.Inputs)
                    {
                        rebuilt.Remove(input.PreviousOutput);
                    }
                }
                for (var i = 0; i < tx.Outputs.Count; i++)
                {
                    rebuilt[new OutPoint(tx.Txid, (uint)i)] = UtxoEntry.From(tx.Outputs[i], entry.Height, tx.IsCoinbase);
                }
            }
        }
        var differences = new List<string>();
        var stored = _store.LoadUtxos().ToDictionary(u => u.OutPoint, u => u.Entry);
        foreach (var (outPoint, expected) in rebuilt)
        {
            if (!stored.Remove(outPoint, out var doc))
            {
                differences.Add($"{outPoint} is unspent in the blocks but missing from the stored UTXO set");
            }
            else if (doc.Amount != expected.Amount || doc.Height != expected.Height || doc.Coinbase != expected.Coinbase || !doc.PublicKey.AsSpan().SequenceEqual(expected.PublicKey))
            {
                differences.Add($"{outPoint} differs between the blocks and the stored UTXO set");
            }
            var inMemory = Utxos.Find(outPoint);
            if (inMemory is null || inMemory.Amount != expected.Amount)
            {
                differences.Add($"{outPoint} differs between the blocks and the in-memory UTXO set");
            }
        }
        differences.AddRange(stored.Keys.Select(id => $"{id} is in the stored UTXO set but spent or unknown in the blocks"));
        if (Utxos.Count != rebuilt.Count)
        {
            differences.Add($"the in-memory UTXO set holds {Utxos.Count} outputs, the blocks {rebuilt.Count}");
        }
        return differences;
    }

    /// <summary>Records that a transaction lost to a conflicting spend (it is reported as conflicted, naming the winner).</summary>
    public void RecordConflicts(IReadOnlyCollection<(Hash256 Loser, Hash256 Winner)> conflicts)
    {
        ArgumentNullException.ThrowIfNull(conflicts);
        if (conflicts.Count == 0)
        {
            return;
        }
        _store.SaveConflicts(conflicts);
        foreach (var (loser, winner) in conflicts)
        {
            _conflicts[loser] = winner;
        }
    }

    /// <summary>
    /// Which transaction of the active chain spent <paramref name="outPoint"/>, from an index of
    /// the most recent spends (filled as blocks connect): answering it never reads a block, so a
    /// flood of transactions spending old outputs costs a dictionary lookup each.
    /// </summary>
    public Hash256? FindSpender(OutPoint outPoint) => _recentSpends.TryPeek(outPoint, out var spender) ? spender : null;

    /// <summary>Why an output is not in the UTXO set: spent (its transaction is confirmed) or never existed.</summary>
    public string WhyMissing(OutPoint outPoint) =>
        _txLocations.TryGetValue(outPoint.Txid, out var location) && outPoint.Index < location.Outputs
            ? RejectReasons.TxInputSpent
            : RejectReasons.TxMissingInput;

    private void InitialiseGenesis(Block genesis)
    {
        var entry = new BlockIndexEntry(genesis.Header, 0, null, _sequence++) { Status = BlockStatus.Valid };
        var filter = CompactFilters.Of(genesis, []);
        entry.FilterHeader = CompactFilters.HeaderOf(filter, entry);
        _store.SaveGenesis(entry, genesis, filter);
        _index[entry.Hash] = entry;
        _active.Add(entry);
    }

    private void Load()
    {
        foreach (var doc in _store.LoadIndex())
        {
            var header = doc.Header;
            var parent = doc.Height == 0 ? null : _index.GetValueOrDefault(header.PreviousHash);
            if (doc.Height > 0 && parent is null)
            {
                continue; // unreachable without its parent; cannot happen for blocks we stored
            }
            var entry = new BlockIndexEntry(header, doc.Height, parent, doc.Sequence)
            {
                Status = doc.Status,
                InvalidReason = doc.InvalidReason,
            };
            if (parent is not null)
            {
                parent.Children++;
            }
            _index[entry.Hash] = entry;
            _sequence = Math.Max(_sequence, doc.Sequence + 1);
        }
        var tipHash = _store.LoadTip()!.Value;
        if (!_index.TryGetValue(tipHash, out var tip))
        {
            throw Inconsistent($"its tip {tipHash} is not in its block index");
        }
        for (var entry = tip; entry is not null; entry = entry.Parent)
        {
            entry.Status = BlockStatus.Valid; // connected, so valid: connecting writes no status (ChainStore.SaveConnect)
            _active.Add(entry);
        }
        _active.Reverse();
        foreach (var (outPoint, utxo) in _store.LoadUtxos())
        {
            Utxos.Add(outPoint, utxo);
        }
        foreach (var record in _store.LoadConnected())
        {
            foreach (var (txid, outputs) in record.Transactions)
            {
                _txLocations[txid] = (record.Block, record.Height, outputs);
            }
            if (record.FilterHeader is { } filterHeader && record.Height < _active.Count && _active[(int)record.Height].Hash == record.Block)
            {
                _active[(int)record.Height].FilterHeader = filterHeader;
            }
        }
        RebuildMissingFilters();
        foreach (var (loser, winner) in _store.LoadConflicts())
        {
            _conflicts[loser] = winner;
        }
        var counts = _store.LoadCounts();
        if (counts is { } stored && (stored.Utxos != Utxos.Count || stored.Transactions != _txLocations.Count))
        {
            throw Inconsistent($"it holds {Utxos.Count} unspent outputs and {_txLocations.Count} confirmed transactions, but its last write recorded {stored.Utxos} and {stored.Transactions}");
        }
    }

    /// <summary>
    /// Where an earlier release recorded no filter for a block of the active chain, it is rebuilt
    /// from the block and what it spent (its undo data) and written, in one transaction, so a
    /// light client gets the same filters from every node.
    /// </summary>
    private void RebuildMissingFilters()
    {
        var rebuilt = new List<(BlockIndexEntry, Shared.Filters.BlockFilter)>();
        foreach (var entry in _active.Where(e => e.FilterHeader is null))
        {
            var block = LoadBlock(entry.Hash) ?? throw Inconsistent($"block {entry.Hash} of its active chain is missing");
            var filter = CompactFilters.Of(block, entry.Height == 0 ? [] : _store.LoadUndo(entry).Select(u => u.Entry));
            entry.FilterHeader = CompactFilters.HeaderOf(filter, entry);
            rebuilt.Add((entry, filter));
        }
        if (rebuilt.Count > 0)
        {
            _store.SaveFilters(rebuilt);
        }
    }

    /// <summary>What the inputs of an active-chain block spent, in block order (from its undo data).</summary>
    public IReadOnlyList<UtxoEntry> SpentOutputs(BlockIndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!IsOnActiveChain(entry) || entry.Height == 0)
        {
            return [];
        }
        var undo = _store.LoadUndo(entry).ToDictionary(u => u.OutPoint, u => u.Entry);
        var block = LoadBlock(entry.Hash) ?? throw Inconsistent($"block {entry.Hash} of its active chain is missing");
        // An output created and spent inside the block is in no undo record: it comes from the block itself.
        var created = new Dictionary<OutPoint, UtxoEntry>();
        var spent = new List<UtxoEntry>();
        foreach (var tx in block.Transactions)
        {
            if (!tx.IsCoinbase)
            {
                spent.AddRange(tx.Inputs.Select(i => undo.TryGetValue(i.PreviousOutput, out var u) ? u : created[i.PreviousOutput]));
            }
            for (var i = 0; i < tx.Outputs.Count; i++)
            {
                created[new OutPoint(tx.Txid, (uint)i)] = UtxoEntry.From(tx.Outputs[i], entry.Height, tx.IsCoinbase);
            }
        }
        return spent;
    }

    /// <summary>The compact filter of an active-chain block (PROTOCOL.md §9), or null for any other.</summary>
    public Shared.Filters.BlockFilter? LoadFilter(BlockIndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return IsOnActiveChain(entry) ? _store.LoadFilter(entry.Height, entry.Hash) : null;
    }

    /// <summary>
    /// The cheap startup check (counts that every write records): a file damaged outside
    /// LiteDB's transactions, e.g. by a power loss with no fsync, is refused rather than served.
    /// </summary>
    private InvalidOperationException Inconsistent(string what) =>
        new($"The chain store {_store.FilePath} is inconsistent: {what}. Run `chain verify` for the full check, or move the data directory away and let the node resync from its peers.");

    private void Store(Block block, BlockIndexEntry parent)
    {
        var entry = new BlockIndexEntry(block.Header, parent.Height + 1, parent, _sequence++) { ReceivedMs = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        _store.SaveBlock(entry, block);
        _wanted.Remove(entry.Hash);
        _recentBlocks.Set(entry.Hash, block);
        _index[entry.Hash] = entry;
        parent.Children++;
        if (entry.ChainWork > Tip.ChainWork)
        {
            _candidates.Add(entry);
        }
    }

    private void ActivateBestChain(List<ChainUpdate> updates)
    {
        while (true)
        {
            var best = BestCandidate();
            if (best.ChainWork <= Tip.ChainWork)
            {
                return; // first seen wins ties: only strictly more work moves the tip
            }
            var oldTip = Tip;
            var fork = best;
            while (!IsOnActiveChain(fork))
            {
                fork = fork.Parent!;
            }
            var disconnected = new List<Block>();
            while (Tip != fork)
            {
                disconnected.Add(DisconnectTip());
            }
            var path = new List<BlockIndexEntry>();
            for (var e = best; e != fork; e = e.Parent!)
            {
                path.Add(e);
            }
            path.Reverse();
            var connected = new List<Block>();
            try
            {
                foreach (var entry in path)
                {
                    var block = LoadBlock(entry.Hash) ?? throw new InvalidOperationException($"Block {entry.Hash} is missing from storage.");
                    try
                    {
                        ConnectTip(entry, block);
                    }
                    catch (ConsensusException ex)
                    {
                        MarkInvalid(entry, ex.Reason);
                        _connectFailures[entry.Hash] = ex;
                        throw;
                    }
                    connected.Add(block);
                }
            }
            catch (ConsensusException)
            {
                // The new branch is invalid part way: put the previous chain back as it was.
                while (Tip != fork)
                {
                    DisconnectTip();
                }
                for (var i = disconnected.Count - 1; i >= 0; i--)
                {
                    ConnectTip(_index[disconnected[i].Hash], disconnected[i]);
                }
                if (!ReferenceEquals(Tip, oldTip))
                {
                    throw new InvalidOperationException("Restoring the previous chain after a failed reorganisation did not reach the old tip.");
                }
                continue; // another candidate (e.g. the valid prefix of that branch) may still have more work
            }
            updates.Add(new ChainUpdate(disconnected, connected, oldTip, Tip));
        }
    }

    /// <summary>
    /// The valid-so-far entry with the most work, earliest seen among equals; the tip unless
    /// something beats it strictly. Only entries that had more work than the tip when stored can
    /// ever beat it (the tip's work never falls between calls), so only those are looked at
    /// (Bitcoin Core's setBlockIndexCandidates) — not the whole index for every block.
    /// </summary>
    private BlockIndexEntry BestCandidate()
    {
        BlockIndexEntry? best = null;
        _candidates.RemoveWhere(e => e.Status == BlockStatus.Invalid || e.ChainWork <= Tip.ChainWork);
        foreach (var entry in _candidates)
        {
            if (best is null || entry.ChainWork > best.ChainWork || (entry.ChainWork == best.ChainWork && entry.Sequence < best.Sequence))
            {
                best = entry;
            }
        }
        return best ?? Tip;
    }

    private readonly HashSet<BlockIndexEntry> _candidates = [];

    private void ConnectTip(BlockIndexEntry entry, Block block)
    {
        var view = new BlockUtxoView(Utxos);
        var fees = 0L;
        var signatureJobs = new List<(Transaction Tx, TxOutput[] Spent)>(block.Transactions.Count);
        foreach (var tx in block.Transactions.Skip(1))
        {
            try
            {
                var (fee, spent) = TransactionRules.CheckInputs(tx, view, entry.Height, _parameters, WhyMissing);
                fees += fee.MinorUnits;
                signatureJobs.Add((tx, spent));
            }
            catch (ConsensusException ex)
            {
                // Inside a block a missing or spent input is the block's fault, not a relay race.
                throw new ConsensusException(ex.Reason, $"Transaction {tx.Txid} in block {entry.Hash}: {ex.Message}", ex.Details) { Fault = BlockFault.Invalid };
            }
            foreach (var input in tx.Inputs)
            {
                view.Spend(input.PreviousOutput);
            }
            view.AddOutputs(tx, entry.Height);
        }
        var coinbase = block.Transactions[0];
        var allowed = _parameters.BlockReward.MinorUnits + fees;
        if (coinbase.TotalOutput().MinorUnits > allowed)
        {
            throw new ConsensusException(RejectReasons.BlockCoinbasePaysTooMuch,
                $"The coinbase pays {coinbase.TotalOutput()}, more than the reward plus fees ({Amount.FromMinorUnits(allowed)}).");
        }
        view.AddOutputs(coinbase, entry.Height);
        CheckSignaturesInParallel(signatureJobs, entry);

        var spentFromSet = view.Spent.Count(s => Utxos.Find(s.OutPoint) is not null);
        var counts = new StoreCounts(Utxos.Count - spentFromSet + view.Created.Count, _txLocations.Count + block.Transactions.Count);
        var filter = CompactFilters.Of(block, view.Spent.Select(s => s.Entry));
        var filterHeader = CompactFilters.HeaderOf(filter, entry);
        _store.SaveConnect(entry, block, view.Spent.Select(s => (s.OutPoint, s.Entry)), view.Created.Select(c => (c.Key, c.Value)), counts, filter, filterHeader);
        entry.FilterHeader = filterHeader;
        entry.Status = BlockStatus.Valid;
        foreach (var (outPoint, _) in view.Spent)
        {
            Utxos.Remove(outPoint);
        }
        foreach (var (outPoint, utxo) in view.Created)
        {
            Utxos.Add(outPoint, utxo);
        }
        foreach (var tx in block.Transactions)
        {
            _txLocations[tx.Txid] = (entry.Hash, entry.Height, tx.Outputs.Count);
            if (!tx.IsCoinbase)
            {
                foreach (var input in tx.Inputs)
                {
                    _recentSpends.Set(input.PreviousOutput, tx.Txid);
                }
            }
        }
        _active.Add(entry);
    }

    private Block DisconnectTip()
    {
        var entry = Tip;
        var block = LoadBlock(entry.Hash) ?? throw new InvalidOperationException($"Block {entry.Hash} is missing from storage.");
        var undo = _store.LoadUndo(entry);
        var created = block.Transactions.SelectMany(tx => Enumerable.Range(0, tx.Outputs.Count).Select(i => new OutPoint(tx.Txid, (uint)i))).ToList();
        _store.SaveDisconnect(entry, undo, created);
        foreach (var (outPoint, utxo) in undo)
        {
            Utxos.Add(outPoint, utxo);
        }
        foreach (var outPoint in created)
        {
            Utxos.Remove(outPoint);
        }
        foreach (var tx in block.Transactions)
        {
            _txLocations.Remove(tx.Txid);
            if (!tx.IsCoinbase)
            {
                foreach (var input in tx.Inputs)
                {
                    _recentSpends.Remove(input.PreviousOutput);
                }
            }
        }
        _active.RemoveAt(_active.Count - 1);
        return block;
    }

    private void CheckSignaturesInParallel(List<(Transaction Tx, TxOutput[] Spent)> jobs, BlockIndexEntry entry)
    {
        ConsensusException? failure = null;
        SignatureCheckers.Shared.Run(jobs.Count, i =>
        {
            var job = jobs[i];
            try
            {
                TransactionRules.CheckSignatures(job.Tx, job.Spent, NetworkId);
                return true;
            }
            catch (ConsensusException ex)
            {
                Interlocked.CompareExchange(ref failure, new ConsensusException(ex.Reason, $"Transaction {job.Tx.Txid} in block {entry.Hash}: {ex.Message}") { Fault = BlockFault.Invalid }, null);
                return false;
            }
        });
        if (failure is not null)
        {
            throw failure;
        }
    }

    private void MarkInvalid(BlockIndexEntry entry, string reason)
    {
        var marked = _index.Values.Where(e => e.Ancestor(entry.Height) == entry).ToList();
        foreach (var e in marked)
        {
            e.Status = BlockStatus.Invalid;
            e.InvalidReason = e == entry ? reason : RejectReasons.BlockInvalidParent;
            _recentBlocks.Remove(e.Hash); // its body is deleted
        }
        _store.SaveInvalid(marked);
    }
}
