using LedgerContrast.CentralBank.Storage;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// Stored outcomes of keyed requests, in two places. Almost every key is appended to the key log
/// (each batch's keys as one document per <see cref="RecentKeys.ChunkSize"/>) and found through
/// <see cref="RecentKeys"/>; a key whose hash another live key holds, or one moved out when memory
/// is at capacity, lives in the collection indexed by the key itself, looked up only when the
/// <see cref="KeyFilter"/> says it might be there (also where every key of a bank from before the
/// log lives). A key is live in exactly one of the two.
/// Runs inside the writer's open transaction; changes to memory wait for the commit.
/// </summary>
internal sealed class IdempotencyStore(BankDatabase db, RecentKeys recent, KeyFilter indexedKeys)
{
    /// <summary>Key log chunks moved to the indexed collection per batch at most, so a lowered capacity is reached in steps, not one long stall.</summary>
    public const int MaxChunksMovedPerBatch = 16;

    /// <summary>Expired key log chunks dropped per prune at most, so one prune never becomes one huge transaction.</summary>
    public const int MaxChunksPrunedPerRun = 1_000;

    /// <summary>The stored record of <paramref name="id"/>, if any, and where it is.</summary>
    public StoredKey Find(string id, long nowMs, KeyLogChanges pending)
    {
        var hash = recent.Hash(id);
        var hashTaken = pending.Added.ContainsKey(hash); // by another key: the same key was found in the batch already
        if (!hashTaken && recent.TryFind(hash, out var position))
        {
            var (chunk, slot) = RecentKeys.Locate(position);
            var logged = db.FindLoggedKey(chunk, slot);
            if (logged is not null && string.Equals(logged.Id, id, StringComparison.Ordinal))
            {
                return new StoredKey(hash, logged, InLog: true, HashTaken: false);
            }
            hashTaken = logged is not null;
        }
        var indexed = indexedKeys.MightContain(id, nowMs) ? db.IdempotencyKeys.FindById(id) : null;
        return new StoredKey(hash, indexed, InLog: false, hashTaken);
    }

    /// <summary>Stores <paramref name="record"/>, the outcome for a key <paramref name="found"/> absent or expired.</summary>
    public void Store(IdempotencyDoc record, StoredKey found, long nowMs, KeyLogChanges pending)
    {
        if (found.Record is not null && !found.InLog)
        {
            db.UpdateKey(record); // an expired key of the indexed collection, used afresh, stays there
        }
        else if (found.HashTaken)
        {
            db.InsertKey(record);
            indexedKeys.Add(record.Id, nowMs); // before the commit: if it rolls back, a false positive costs only a lookup
        }
        else
        {
            // An expired logged key gets a new record; the superseded one is pruned in time.
            var index = pending.Appended.Count;
            pending.Appended.Add(record);
            pending.Added[found.Hash] = RecentKeys.Position(pending.CommittedChunk + 1 + (index / RecentKeys.ChunkSize), index % RecentKeys.ChunkSize);
        }
    }

    /// <summary>Writes the batch's appended keys, at the positions <see cref="Store"/> gave them.</summary>
    public void AppendPending(long nowMs, KeyLogChanges pending)
    {
        foreach (var chunk in pending.Appended.Chunk(RecentKeys.ChunkSize))
        {
            db.AppendKeyChunk(++pending.LastChunk, nowMs, chunk);
        }
    }

    /// <summary>
    /// Past capacity, moves the live keys of the oldest committed chunks to the indexed collection
    /// (superseded ones are just dropped), so memory stays within capacity plus one batch.
    /// </summary>
    public void MoveOverCapacity(long nowMs, KeyLogChanges pending)
    {
        var excess = recent.Count + pending.Added.Count - recent.Capacity;
        if (excess <= 0)
        {
            return;
        }
        var through = 0L;
        foreach (var (chunk, _, keys) in db.LoggedKeyChunks(MaxChunksMovedPerBatch))
        {
            if (chunk > pending.CommittedChunk || excess <= 0)
            {
                break; // written by this batch, or enough moved
            }
            var live = LiveSlots(chunk, keys).Where(s => !pending.Added.ContainsKey(s.Hash)).ToList();
            var records = live.Count > 0 ? db.ReadKeyChunk(chunk) : [];
            foreach (var (slot, hash, position) in live)
            {
                db.UpsertKey(records[slot]);
                indexedKeys.Add(records[slot].Id, nowMs);
                pending.Removed.Add((hash, position));
                excess--;
            }
            through = chunk;
        }
        if (through > 0)
        {
            db.DeleteKeyChunksThrough(through);
        }
    }

    /// <summary>
    /// Drops key log chunks created before <paramref name="cutoffMs"/>, oldest first. The log is
    /// in creation order; a chunk out of order (the clock stepped back) only holds later ones a
    /// while: pruned late, never early. Returns the keys dropped.
    /// </summary>
    public int PruneLog(long cutoffMs, KeyLogChanges pending)
    {
        var through = 0L;
        var dropped = 0;
        foreach (var (chunk, createdMs, keys) in db.LoggedKeyChunks(MaxChunksPrunedPerRun))
        {
            if (createdMs >= cutoffMs)
            {
                break;
            }
            pending.Removed.AddRange(LiveSlots(chunk, keys).Select(live => (live.Hash, live.Position)));
            through = chunk;
            dropped += keys.Count;
        }
        if (through > 0)
        {
            db.DeleteKeyChunksThrough(through);
        }
        return dropped;
    }

    /// <summary>The slots of a chunk whose key is still found there: not superseded by a later record, nor moved.</summary>
    private IEnumerable<(int Slot, ulong Hash, long Position)> LiveSlots(long chunk, List<string> keys)
    {
        for (var slot = 0; slot < keys.Count; slot++)
        {
            var hash = recent.Hash(keys[slot]);
            var position = RecentKeys.Position(chunk, slot);
            if (recent.IsLive(hash, position))
            {
                yield return (slot, hash, position);
            }
        }
    }
}

/// <summary>A lookup's answer: the stored record (null if none), whether it is in the log, and whether another key holds its hash.</summary>
internal readonly record struct StoredKey(ulong Hash, IdempotencyDoc? Record, bool InLog, bool HashTaken);
