using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.CentralBank.Storage;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.TestSupport;

namespace LedgerContrast.CentralBank.Tests.Ledger;

/// <summary>
/// Idempotency keys are appended to a log and found through memory; keys past the memory's
/// capacity, or whose hash another key holds, go to the indexed collection. Whichever place a
/// key is in, a retry must replay its own outcome, before and after a restart.
/// </summary>
public class KeyLogTests
{
    [Fact]
    public async Task Keys_past_the_memory_capacity_move_to_the_indexed_collection_and_every_retry_still_replays()
    {
        const int capacity = 5;
        await using var bank = await TestBank.StartAsync(o => o with { MaxRecentKeys = capacity });
        var (alice, _, a, b) = await bank.AliceAndBobAsync(10_000);
        var requests = Enumerable.Range(1, 40).Select(i => new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = i, IdempotencyKey = $"pay-{i}" }).ToList();
        var originals = new List<EntryReply>();
        foreach (var request in requests)
        {
            originals.Add(await alice.Client.TransferAsync(request));
        }
        Assert.InRange(bank.Ledger.State.RecentKeys.Count, 1, capacity);

        await AssertEveryRetryReplaysAsync(alice.Client, requests, originals);
        Assert.Equal(10_000 - (40 * 41 / 2), await bank.BalanceAsync(a));

        await bank.StopAsync();
        await using var restarted = await bank.RestartAsync();
        await AssertEveryRetryReplaysAsync(restarted.Client(alice.Token), requests, originals);
        Assert.Equal(10_000 - (40 * 41 / 2), await restarted.BalanceAsync(a));
        Assert.True((await restarted.AuditAsync()).Ok);
    }

    [Fact]
    public async Task Keys_whose_hashes_collide_each_keep_and_replay_their_own_outcome_also_within_one_batch_and_after_a_restart()
    {
        static ulong OneHash(string key) => 42;
        await using var bank = await TestBank.StartAsync(o => o with { KeyHash = OneHash });
        var (alice, _, a, b) = await bank.AliceAndBobAsync(10_000);
        var requests = Enumerable.Range(1, 12).Select(i => new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = i, IdempotencyKey = $"same-hash-{i}" }).ToList();
        var first = await alice.Client.TransferAsync(requests[0]);
        // The rest at once, so several colliding keys meet in one batch.
        var rest = await Task.WhenAll(requests.Skip(1).Select(r => alice.Client.TransferAsync(r).ResponseAsync));
        EntryReply[] originals = [first, .. rest];

        await AssertEveryRetryReplaysAsync(alice.Client, requests, originals);
        var reused = await Refusal.Of(() => alice.Client.TransferAsync(new TransferRequest(requests[3]) { Amount = 999 }));
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", reused.Reason);
        Assert.Equal(10_000 - (12 * 13 / 2), await bank.BalanceAsync(a));

        await bank.StopAsync();
        await using var restarted = await bank.RestartAsync();
        await AssertEveryRetryReplaysAsync(restarted.Client(alice.Token), requests, originals);
        Assert.Equal(10_000 - (12 * 13 / 2), await restarted.BalanceAsync(a));
    }

    [Fact]
    public async Task A_batch_with_more_keys_than_one_log_chunk_holds_replays_every_key_before_and_after_a_restart()
    {
        using var held = new StallingWrite();
        await using var bank = await TestBank.StartAsync(o => o with { StorageFaults = held });
        var (alice, _, a, b) = await bank.AliceAndBobAsync(100_000);
        var count = (2 * RecentKeys.ChunkSize) + 44;
        var requests = Enumerable.Range(1, count).Select(i => new TransferRequest { FromAccountId = a, ToAccountId = b, Amount = i, IdempotencyKey = $"big-{i}" }).ToList();

        // Hold the writer in one batch while all of them queue, so the next batch takes them all.
        held.Armed = true;
        var first = alice.Client.TransferAsync(requests[0]).ResponseAsync;
        await held.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var rest = requests.Skip(1).Select(r => alice.Client.TransferAsync(r).ResponseAsync).ToList();
        await Poll.UntilAsync(() => bank.Ledger.QueuedCommands == count - 1, TimeSpan.FromSeconds(30));
        var batchesBefore = bank.Ledger.BatchesCommitted;
        held.Release();
        EntryReply[] originals = [await first, .. await Task.WhenAll(rest)];
        Assert.Equal(batchesBefore + 2, bank.Ledger.BatchesCommitted);
        await AssertEveryRetryReplaysAsync(alice.Client, requests, originals);

        await bank.StopAsync();
        await using var restarted = await bank.RestartAsync();
        await AssertEveryRetryReplaysAsync(restarted.Client(alice.Token), requests, originals);
        Assert.Equal(100_000 - (count * (count + 1) / 2), await restarted.BalanceAsync(a));
    }

    [Fact]
    public void Pruning_drops_expired_log_records_oldest_first_and_forgets_only_the_keys_they_still_hold()
    {
        var directory = TempDirectory.NewPath("lc-keylog-");
        try
        {
            using var db = new BankDatabase(directory);
            var recent = new RecentKeys(100);
            var store = new IdempotencyStore(db, recent, new KeyFilter(TimeSpan.FromHours(1)));
            // One batch each: chunks 1-3 are old; "b" is used afresh in 4 (its record in 2 superseded); 5 is new.
            (string Key, long CreatedMs)[] records = [("a", 1_000), ("b", 1_000), ("c", 1_000), ("b", 5_000), ("d", 5_000)];
            foreach (var (key, createdMs) in records)
            {
                var changes = new KeyLogChanges(recent.LastChunk);
                db.BeginTransaction();
                store.Store(new IdempotencyDoc { Id = key, Fingerprint = "f", CreatedMs = createdMs }, store.Find(key, createdMs, changes), createdMs, changes);
                store.AppendPending(createdMs, changes);
                db.Commit();
                recent.Apply(changes);
            }
            Assert.Equal(4, recent.Count);
            Assert.Equal([1L, 2L, 3L, 4L, 5L], db.LoggedKeyChunks().Select(c => c.Chunk));

            var pruning = new KeyLogChanges(recent.LastChunk);
            db.BeginTransaction();
            var dropped = store.PruneLog(cutoffMs: 2_000, pruning);
            db.Commit();
            recent.Apply(pruning);

            Assert.Equal(3, dropped);
            Assert.Equal([4L, 5L], db.LoggedKeyChunks().Select(c => c.Chunk));
            Assert.Equal(2, recent.Count); // "b" (at 4) and "d" remain; "a" and "c" are forgotten
            Assert.Equal("b", store.Find("b", 6_000, new KeyLogChanges(recent.LastChunk)).Record?.Id);
            Assert.Null(store.Find("a", 6_000, new KeyLogChanges(recent.LastChunk)).Record);
        }
        finally
        {
            TempDirectory.Delete(directory);
        }
    }

    private static async Task AssertEveryRetryReplaysAsync(BankService.BankServiceClient client, IReadOnlyList<TransferRequest> requests, IReadOnlyList<EntryReply> originals)
    {
        var retries = await Task.WhenAll(requests.Select(r => client.TransferAsync(r).ResponseAsync));
        Assert.Equal(originals, retries);
    }
}
