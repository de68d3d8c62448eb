using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Collections;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Mempool;

/// <param name="Local">Submitted by a client of this node (not relayed to it): rebroadcast until it confirms.</param>
public sealed record MempoolEntry(Transaction Transaction, Amount Fee, ulong ReceivedMs, bool Local = false)
{
    public Hash256 Txid => Transaction.Txid;
    public int Size => Transaction.Size;

    /// <summary>Minor units per 1,000 bytes: what eviction and block templates order by.</summary>
    public long FeeRate => Fee.MinorUnits * 1000 / Math.Max(Size, 1);
}

/// <summary>
/// Unconfirmed transactions. First seen wins: a transaction spending an output that a pool
/// transaction already spends is refused with MEMPOOL_CONFLICT naming the earlier one (and
/// remembered, so its status can say it lost). Spending unconfirmed outputs (change) is fine.
/// Bounded by bytes (lowest fee rate evicted first); entries expire. Not thread-safe: the node
/// calls it under its state lock.
/// </summary>
public sealed class TransactionPool(ChainParameters parameters, long maxBytes = 5_000_000, TimeSpan? expiry = null)
{
    public const int MaxRememberedConflicts = 10_000;

    /// <summary>
    /// The minimum relay fee rate, in minor units per 1,000 bytes (1 per byte, as Bitcoin Core's
    /// 1 sat/vB): without one, free transactions cost a node bandwidth, memory and signature checks
    /// for nothing, and the pool fills with what no miner will ever be paid to include. Policy, not
    /// consensus: a block may hold a zero-fee transaction.
    /// </summary>
    public const long MinRelayFeeRate = 1_000;

    /// <summary>Refuses a transaction paying less than <see cref="MinRelayFeeRate"/> (reorganisations re-admit without it, as Bitcoin Core does).</summary>
    public static void RequireRelayFee(Transaction tx, Amount fee)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var required = (tx.Size * MinRelayFeeRate + 999) / 1000;
        if (fee.MinorUnits < required)
        {
            throw new ConsensusException(RejectReasons.MempoolFeeTooLow,
                $"The fee is {fee} for {tx.Size} bytes; the minimum relay fee is {MinRelayFeeRate / 1000} minor unit per byte ({Amount.FromMinorUnits(required)} here).",
                new Dictionary<string, string> { ["required_fee"] = Amount.FromMinorUnits(required).ToString() });
        }
    }

    /// <summary>Refused conflicts are other people's data held for their sake: a small, byte-bounded memory.</summary>
    public const long MaxRememberedConflictBytes = 2L * 1024 * 1024;

    private readonly Dictionary<Hash256, MempoolEntry> _entries = [];
    private readonly Dictionary<OutPoint, Hash256> _spentBy = [];
    private readonly BoundedLru<Hash256, (Transaction Tx, Hash256 FirstSeen)> _refusedConflicts =
        new(MaxRememberedConflicts, MaxRememberedConflictBytes, refused => refused.Tx.Size);
    private readonly TimeSpan _expiry = expiry ?? TimeSpan.FromHours(1);

    public int Count => _entries.Count;
    public long Bytes { get; private set; }
    public IEnumerable<MempoolEntry> Entries => _entries.Values;

    public MempoolEntry? Find(Hash256 txid) => _entries.GetValueOrDefault(txid);

    /// <summary>Whether a pool transaction spends <paramref name="outPoint"/>.</summary>
    public bool IsSpent(OutPoint outPoint) => _spentBy.ContainsKey(outPoint);

    /// <summary>The pool transaction this refused one conflicted with, if it was refused for that.</summary>
    public Hash256? RefusedConflict(Hash256 txid) => _refusedConflicts.TryPeek(txid, out var refused) ? refused.FirstSeen : null;

    /// <summary>A transaction refused for conflicting with the pool, kept so peers can be told of the double spend.</summary>
    public Transaction? RefusedTransaction(Hash256 txid) => _refusedConflicts.TryPeek(txid, out var refused) ? refused.Tx : null;

    /// <summary>The refused double spends remembered (for lookups by prefix).</summary>
    public IEnumerable<Hash256> RefusedTxids => _refusedConflicts.Entries.Select(e => e.Key);

    /// <summary>
    /// The bodies of transactions that lost to a confirmed spend, so `chain tx` can still show what a
    /// conflicted payment spent and paid; bounded like the refused conflicts, most recent kept.
    /// </summary>
    private readonly BoundedLru<Hash256, Transaction> _lost = new(MaxRememberedConflicts, MaxRememberedConflictBytes, t => t.Size);

    public Transaction? LostTransaction(Hash256 txid) => _lost.TryPeek(txid, out var tx) ? tx : null;

    public void RememberLost(Transaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        _lost.Set(tx.Txid, tx);
    }

    public void ForgetRefused(Hash256 txid) => _refusedConflicts.Remove(txid);

    /// <summary>The chain's UTXO set plus the outputs of pool transactions, minus what pool transactions spend.</summary>
    public IUtxoView ViewOver(IUtxoView chain, uint nextHeight) => new PoolView(this, chain, nextHeight);

    /// <summary>
    /// Step one of acceptance, under the lock: every check except signatures. Returns the fee and
    /// the output each input spends.
    /// </summary>
    public (Amount Fee, TxOutput[] Spent) Check(Transaction tx, Blockchain chain)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(chain);
        if (_entries.ContainsKey(tx.Txid))
        {
            throw new ConsensusException(RejectReasons.TxAlreadyKnown, $"Transaction {tx.Txid} is already in the mempool.");
        }
        if (chain.FindTransaction(tx.Txid) is { } location)
        {
            throw new ConsensusException(RejectReasons.TxAlreadyConfirmed, $"Transaction {tx.Txid} is already confirmed at height {location.Height}.");
        }
        TransactionRules.CheckStructure(tx, parameters);
        if (tx.IsCoinbase)
        {
            throw new ConsensusException(RejectReasons.TxCoinbaseNotAllowed, "A coinbase is only valid as the first transaction of a block.");
        }
        foreach (var input in tx.Inputs)
        {
            if (_spentBy.TryGetValue(input.PreviousOutput, out var earlier))
            {
                // Not remembered here: only once the caller has checked it is a validly signed spend
                // of a real output (RememberRefusedConflict), or junk could fill the memory.
                throw new ConsensusException(RejectReasons.MempoolConflict,
                    $"Output {input.PreviousOutput} is already spent by mempool transaction {earlier}, seen first.",
                    new Dictionary<string, string> { ["conflicting_txid"] = earlier.ToString(), ["out_point"] = input.PreviousOutput.ToString() });
            }
        }
        return TransactionRules.CheckInputs(tx, new PoolView(this, chain.Utxos, chain.Tip.Height + 1), chain.Tip.Height + 1, parameters, chain.WhyMissing);
    }

    /// <summary>
    /// Step three, under the lock again after signatures were checked outside it. A full pool
    /// makes room by evicting the lowest fee rates (each with its descendants) — never an
    /// ancestor of <paramref name="tx"/>, which would leave it spending outputs that no longer
    /// exist — and only if enough room can be made: otherwise nothing is evicted and the
    /// transaction is refused.
    /// </summary>
    public IReadOnlyList<Hash256> Add(Transaction tx, Amount fee, ulong receivedMs, bool local = false)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var entry = new MempoolEntry(tx, fee, receivedMs, local);
        var evicted = new List<Hash256>();
        if (Bytes + entry.Size > maxBytes)
        {
            evicted = PlanEviction(entry);
            foreach (var txid in evicted)
            {
                RemoveOne(txid);
            }
        }
        _entries[tx.Txid] = entry;
        Bytes += entry.Size;
        foreach (var input in tx.Inputs)
        {
            _spentBy[input.PreviousOutput] = tx.Txid;
        }
        _refusedConflicts.Remove(tx.Txid);
        return evicted;
    }

    /// <summary>Which transactions to evict so <paramref name="incoming"/> fits; changes nothing.</summary>
    private List<Hash256> PlanEviction(MempoolEntry incoming)
    {
        var ancestors = AncestorsOf(incoming.Transaction);
        var planned = new HashSet<Hash256>();
        var order = new List<Hash256>();
        var freed = 0L;
        foreach (var candidate in _entries.Values.Where(e => !ancestors.Contains(e.Txid)).OrderBy(e => e.FeeRate).ThenByDescending(e => e.ReceivedMs))
        {
            if (Bytes - freed + incoming.Size <= maxBytes)
            {
                break;
            }
            if (planned.Contains(candidate.Txid))
            {
                continue;
            }
            if (candidate.FeeRate >= incoming.FeeRate)
            {
                throw new ConsensusException(RejectReasons.MempoolFull,
                    $"The mempool is full and this transaction's fee rate ({incoming.FeeRate} per kB) is not above the lowest it could replace ({candidate.FeeRate}).");
            }
            foreach (var txid in WithDescendants(candidate.Txid))
            {
                if (planned.Add(txid))
                {
                    order.Add(txid);
                    freed += _entries[txid].Size;
                }
            }
        }
        if (Bytes - freed + incoming.Size > maxBytes)
        {
            throw new ConsensusException(RejectReasons.MempoolFull,
                $"The mempool is full and only this transaction's own unconfirmed ancestors could make room for it.");
        }
        return order;
    }

    /// <summary>The pool transactions <paramref name="tx"/> spends from, directly or through other pool transactions.</summary>
    private HashSet<Hash256> AncestorsOf(Transaction tx)
    {
        var ancestors = new HashSet<Hash256>();
        var queue = new Queue<Transaction>([tx]);
        while (queue.TryDequeue(out var next))
        {
            foreach (var input in next.Inputs)
            {
                if (_entries.TryGetValue(input.PreviousOutput.Txid, out var parent) && ancestors.Add(parent.Txid))
                {
                    queue.Enqueue(parent.Transaction);
                }
            }
        }
        return ancestors;
    }

    /// <summary>
    /// A block confirmed <paramref name="block"/>'s transactions: drop them, and drop as conflicted
    /// every pool (or refused) transaction that spends one of the same outputs, naming the winner.
    /// </summary>
    public List<(Hash256 Loser, Hash256 Winner)> RemoveForBlock(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var conflicts = new List<(Hash256, Hash256)>();
        foreach (var tx in block.Transactions)
        {
            if (_entries.ContainsKey(tx.Txid))
            {
                RemoveOne(tx.Txid);
            }
            _refusedConflicts.Remove(tx.Txid);
            if (tx.IsCoinbase)
            {
                continue;
            }
            foreach (var input in tx.Inputs)
            {
                if (_spentBy.TryGetValue(input.PreviousOutput, out var loser) && loser != tx.Txid)
                {
                    foreach (var id in WithDescendants(loser))
                    {
                        RememberLost(_entries[id].Transaction);
                    }
                    conflicts.AddRange(RemoveWithDescendants(loser).Select(removed => (removed, tx.Txid)));
                }
            }
        }
        if (_refusedConflicts.Count > 0)
        {
            var spentHere = block.Transactions.Skip(1).SelectMany(t => t.Inputs.Select(i => (i.PreviousOutput, t.Txid))).ToDictionary(p => p.PreviousOutput, p => p.Txid);
            foreach (var (txid, refused) in _refusedConflicts.Entries.ToList())
            {
                var winner = refused.Tx.Inputs.Select(i => spentHere.TryGetValue(i.PreviousOutput, out var w) ? w : (Hash256?)null).FirstOrDefault(w => w is not null);
                if (winner is { } w && w != txid)
                {
                    conflicts.Add((txid, w));
                    RememberLost(refused.Tx);
                    _refusedConflicts.Remove(txid);
                }
            }
        }
        return conflicts;
    }

    /// <summary>Takes everything out (for a reorganisation, which re-adds it against the new chain).</summary>
    public List<MempoolEntry> Drain()
    {
        var all = _entries.Values.OrderBy(e => e.ReceivedMs).ToList();
        _entries.Clear();
        _spentBy.Clear();
        Bytes = 0;
        return all;
    }

    public List<Hash256> RemoveExpired(ulong nowMs)
    {
        var cutoff = nowMs - (ulong)_expiry.TotalMilliseconds;
        var removed = new List<Hash256>();
        foreach (var entry in _entries.Values.Where(e => e.ReceivedMs < cutoff).ToList())
        {
            if (_entries.ContainsKey(entry.Txid))
            {
                removed.AddRange(RemoveWithDescendants(entry.Txid));
            }
        }
        return removed;
    }

    /// <summary>
    /// Transactions for a block: highest fee rate first among those whose pool parents are
    /// already chosen, within the limits. A priority queue of ready transactions, each released
    /// when its last pool parent is chosen: O(n log n).
    /// </summary>
    public List<MempoolEntry> SelectForBlock(int maxBytes, int maxCount)
    {
        var selected = new List<MempoolEntry>();
        var ready = new PriorityQueue<MempoolEntry, (long NegativeFeeRate, ulong ReceivedMs)>();
        var waitingFor = new Dictionary<Hash256, int>();
        var children = new Dictionary<Hash256, List<MempoolEntry>>();
        foreach (var entry in _entries.Values)
        {
            var parents = entry.Transaction.Inputs.Select(i => i.PreviousOutput.Txid).Where(_entries.ContainsKey).Distinct().ToList();
            if (parents.Count == 0)
            {
                ready.Enqueue(entry, (-entry.FeeRate, entry.ReceivedMs));
                continue;
            }
            waitingFor[entry.Txid] = parents.Count;
            foreach (var parent in parents)
            {
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }
                list.Add(entry);
            }
        }
        var bytes = 0;
        while (selected.Count < maxCount && ready.TryDequeue(out var entry, out _))
        {
            if (bytes + entry.Size > maxBytes)
            {
                continue; // too big for what is left; its descendants never become ready
            }
            selected.Add(entry);
            bytes += entry.Size;
            foreach (var child in children.GetValueOrDefault(entry.Txid) ?? [])
            {
                if (--waitingFor[child.Txid] == 0)
                {
                    ready.Enqueue(child, (-child.FeeRate, child.ReceivedMs));
                }
            }
        }
        return selected;
    }

    private List<Hash256> RemoveWithDescendants(Hash256 txid)
    {
        var removed = WithDescendants(txid);
        foreach (var id in removed)
        {
            RemoveOne(id);
        }
        return removed;
    }

    /// <summary><paramref name="txid"/> and every pool transaction spending from it, directly or not; parents before children.</summary>
    private List<Hash256> WithDescendants(Hash256 txid)
    {
        var found = new List<Hash256>();
        var seen = new HashSet<Hash256>();
        var queue = new Queue<Hash256>([txid]);
        while (queue.TryDequeue(out var next))
        {
            if (!_entries.TryGetValue(next, out var entry) || !seen.Add(next))
            {
                continue;
            }
            found.Add(next);
            for (var i = 0; i < entry.Transaction.Outputs.Count; i++)
            {
                if (_spentBy.TryGetValue(new OutPoint(next, (uint)i), out var child))
                {
                    queue.Enqueue(child);
                }
            }
        }
        return found;
    }

    private void RemoveOne(Hash256 txid)
    {
        var entry = _entries[txid];
        _entries.Remove(txid);
        Bytes -= entry.Size;
        foreach (var input in entry.Transaction.Inputs)
        {
            if (_spentBy.TryGetValue(input.PreviousOutput, out var spender) && spender == txid)
            {
                _spentBy.Remove(input.PreviousOutput);
            }
        }
    }

    /// <summary>Remembers a fully validated (signed, real inputs) transaction that lost to <paramref name="firstSeen"/>, so its status can say so.</summary>
    public void RememberRefusedConflict(Transaction tx, Hash256 firstSeen)
    {
        ArgumentNullException.ThrowIfNull(tx);
        _refusedConflicts.Set(tx.Txid, (tx, firstSeen));
    }

    public long RefusedConflictBytes => _refusedConflicts.Weight;

    private sealed class PoolView(TransactionPool pool, IUtxoView chain, uint nextHeight) : IUtxoView
    {
        public UtxoEntry? Find(OutPoint outPoint)
        {
            if (pool._entries.TryGetValue(outPoint.Txid, out var parent))
            {
                return outPoint.Index < parent.Transaction.Outputs.Count
                    ? UtxoEntry.From(parent.Transaction.Outputs[(int)outPoint.Index], nextHeight, coinbase: false)
                    : null;
            }
            return chain.Find(outPoint);
        }
    }
}
