using LiteDB;

namespace LedgerContrast.CentralBank.Storage;

// LiteDB documents. Balances are cached on AccountDoc; the hash-chained EntryDoc journal is the
// source of truth that `bank audit` recomputes them from.

public sealed class CustomerDoc
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string TokenHash { get; set; } = "";
    public long CreatedMs { get; set; }
}

public sealed class AccountDoc
{
    public string Id { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public long Balance { get; set; }

    /// <summary>The account's newest journal entry: the head of its history list.</summary>
    public long LastSequence { get; set; }
    public long CreatedMs { get; set; }
}

public sealed class PostingDoc
{
    public string AccountId { get; set; } = "";
    public long Amount { get; set; }

    /// <summary>
    /// The account's previous journal entry (0 for its first): each account's history is a list
    /// through the journal, so paging it costs one lookup per posting and writing it no index.
    /// </summary>
    public long Previous { get; set; }
}

public sealed class EntryDoc
{
    /// <summary>Journal position, 1-based and gap-free: the _id.</summary>
    public long Id { get; set; }
    public string Kind { get; set; } = "";
    public List<PostingDoc> Postings { get; set; } = [];
    public long TimeMs { get; set; }
    public string ReversesEntryId { get; set; } = "";
    public string Memo { get; set; } = "";
    public string PrevHash { get; set; } = "";
    public string Hash { get; set; } = "";
}

/// <summary>An original entry that has been reversed, and by which entry (kept apart so the journal stays append-only).</summary>
public sealed class ReversalDoc
{
    public string Id { get; set; } = "";
    public string ReversalEntryId { get; set; } = "";
}

/// <summary>The stored outcome of a request made with an idempotency key: success or refusal.</summary>
public sealed class IdempotencyDoc
{
    public string Id { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public long CreatedMs { get; set; }
    public string EntryId { get; set; } = "";
    public long Sequence { get; set; }
    public long FromBalance { get; set; }
    public long ToBalance { get; set; }
    public long CommittedMs { get; set; }
    public string EntryHash { get; set; } = "";
    public string RejectReason { get; set; } = "";
    public string RejectMessage { get; set; } = "";
}

public sealed class CounterDoc
{
    public string Id { get; set; } = "";
    public long Value { get; set; }
}

/// <summary>
/// The ledger writer's hot-path documents built by hand: reflection mapping was ≈6% of the
/// writer's time under `bank bench` (perf). Each is field for field what the database's
/// BsonMapper writes for the same object — reads still map them back — and a test holds them equal.
/// </summary>
internal static class DocumentCodec
{
    public static BsonDocument ToBson(EntryDoc entry)
    {
        var postings = new BsonArray();
        foreach (var posting in entry.Postings)
        {
            postings.Add(new BsonDocument
            {
                ["AccountId"] = posting.AccountId,
                ["Amount"] = posting.Amount,
                ["Previous"] = posting.Previous,
            });
        }
        return new BsonDocument
        {
            ["_id"] = entry.Id,
            ["Kind"] = entry.Kind,
            ["Postings"] = postings,
            ["TimeMs"] = entry.TimeMs,
            ["ReversesEntryId"] = entry.ReversesEntryId,
            ["Memo"] = entry.Memo,
            ["PrevHash"] = entry.PrevHash,
            ["Hash"] = entry.Hash,
        };
    }

    public static BsonDocument ToBson(IdempotencyDoc key) => new()
    {
        ["_id"] = key.Id,
        ["Fingerprint"] = key.Fingerprint,
        ["CreatedMs"] = key.CreatedMs,
        ["EntryId"] = key.EntryId,
        ["Sequence"] = key.Sequence,
        ["FromBalance"] = key.FromBalance,
        ["ToBalance"] = key.ToBalance,
        ["CommittedMs"] = key.CommittedMs,
        ["EntryHash"] = key.EntryHash,
        ["RejectReason"] = key.RejectReason,
        ["RejectMessage"] = key.RejectMessage,
    };

    /// <summary>
    /// One batch's keys (up to a chunk's worth) as one key log document: one insert instead of one
    /// per key, and short field names, since this is written with every transfer and read only to
    /// replay. The entry id is derived from the sequence; the entry hash is kept as its 32 bytes.
    /// </summary>
    public static BsonDocument ToKeyChunk(long chunk, long createdMs, IEnumerable<IdempotencyDoc> keys)
    {
        var records = new BsonArray();
        foreach (var key in keys)
        {
            records.Add(new BsonDocument
            {
                ["k"] = key.Id,
                ["f"] = key.Fingerprint,
                ["s"] = key.Sequence,
                ["fb"] = key.FromBalance,
                ["tb"] = key.ToBalance,
                ["t"] = key.CommittedMs,
                ["h"] = Convert.FromHexString(key.EntryHash),
                ["rr"] = key.RejectReason,
                ["rm"] = key.RejectMessage,
            });
        }
        return new BsonDocument { ["_id"] = chunk, ["CreatedMs"] = createdMs, ["Keys"] = records };
    }

    /// <summary>The scoped keys of a key log document, in slot order: all that start-up and pruning need.</summary>
    public static List<string> KeysOfChunk(BsonDocument chunk) => [.. chunk["Keys"].AsArray.Select(record => record["k"].AsString)];

    /// <summary>One stored outcome of a key log document.</summary>
    public static IdempotencyDoc FromKeyChunk(BsonDocument chunk, int slot)
    {
        var record = chunk["Keys"].AsArray[slot].AsDocument;
        var sequence = record["s"].AsInt64;
        return new IdempotencyDoc
        {
            Id = record["k"].AsString,
            Fingerprint = record["f"].AsString,
            CreatedMs = chunk["CreatedMs"].AsInt64,
            EntryId = sequence > 0 ? Ledger.LedgerIds.Entry(sequence) : "",
            Sequence = sequence,
            FromBalance = record["fb"].AsInt64,
            ToBalance = record["tb"].AsInt64,
            CommittedMs = record["t"].AsInt64,
            EntryHash = Convert.ToHexStringLower(record["h"].AsBinary),
            RejectReason = record["rr"].AsString,
            RejectMessage = record["rm"].AsString,
        };
    }

    public static BsonDocument ToBson(AccountDoc account) => new()
    {
        ["_id"] = account.Id,
        ["CustomerId"] = account.CustomerId,
        ["Balance"] = account.Balance,
        ["LastSequence"] = account.LastSequence,
        ["CreatedMs"] = account.CreatedMs,
    };
}
