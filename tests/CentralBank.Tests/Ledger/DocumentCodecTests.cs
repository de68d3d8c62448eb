using LedgerContrast.CentralBank.Storage;
using LiteDB;

namespace LedgerContrast.CentralBank.Tests.Ledger;

public class DocumentCodecTests
{
    // The same settings as BankDatabase's mapper: reads map the hand-built documents back with it.
    private static readonly BsonMapper s_mapper = new() { EmptyStringToNull = false, TrimWhitespace = false };

    [Fact]
    public void Hand_built_documents_are_what_the_mapper_writes_for_every_field()
    {
        AssertSame(s_mapper.ToDocument(Entry()), DocumentCodec.ToBson(Entry()));
        var key = new IdempotencyDoc { Id = "cus-1:k", Fingerprint = "TRANSFER|acc-1|acc-2|5", CreatedMs = 11, EntryId = "e-7", Sequence = 7, FromBalance = -3, ToBalance = 9, CommittedMs = 12, EntryHash = "ab", RejectReason = "", RejectMessage = " padded " };
        AssertSame(s_mapper.ToDocument(key), DocumentCodec.ToBson(key));
        var account = new AccountDoc { Id = "acc-1", CustomerId = "cus-1", Balance = long.MinValue, LastSequence = 7, CreatedMs = 3 };
        AssertSame(s_mapper.ToDocument(account), DocumentCodec.ToBson(account));
    }

    [Fact]
    public void A_hand_built_entry_maps_back_to_the_same_entry()
    {
        var back = s_mapper.ToObject<EntryDoc>(DocumentCodec.ToBson(Entry()));
        Assert.Equal(s_mapper.ToDocument(Entry()).ToString(), s_mapper.ToDocument(back).ToString());
    }

    private static EntryDoc Entry() => new()
    {
        Id = 42,
        Kind = "TRANSFER",
        Postings = [new PostingDoc { AccountId = "acc-1", Amount = -5, Previous = 3 }, new PostingDoc { AccountId = "acc-2", Amount = 5, Previous = 0 }],
        TimeMs = 1_700_000_000_000,
        ReversesEntryId = "",
        Memo = " a memo ",
        PrevHash = "00",
        Hash = "ff",
    };

    private static void AssertSame(BsonDocument expected, BsonDocument actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var key in expected.Keys)
        {
            // As JSON (with types, e.g. {"$numberLong": …}): BsonValue equality overlooks extra array items.
            Assert.Equal(JsonSerializer.Serialize(expected[key]), JsonSerializer.Serialize(actual[key]));
        }
    }
}
