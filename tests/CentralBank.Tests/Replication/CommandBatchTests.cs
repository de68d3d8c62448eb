using System.Buffers;
using LedgerContrast.CentralBank.Ledger;

namespace LedgerContrast.CentralBank.Tests.Replication;

/// <summary>The replicated log entry: every command survives the trip, and a damaged entry is refused, never half-read.</summary>
public sealed class CommandBatchTests
{
    private static readonly Principal Customer = new(false, "cus-7");

    [Fact]
    public void Every_kind_of_command_decodes_to_the_command_that_was_encoded()
    {
        LedgerCommand[] commands =
        [
            new CreateCustomerCommand("Ada Lovelace — ünïcode", "hash-1"),
            new OpenAccountCommand("cus-1"),
            new CashCommand(EntryKinds.Deposit, "acc-1", 12_345, Principal.Admin, "key-1"),
            new TransferCommand("acc-1", "acc-2", long.MaxValue, Customer, ""),
            new ReverseCommand("e-9", "mistake", true, Principal.Admin),
        ];
        var batch = new CommandBatch(Guid.NewGuid(), 1_700_000_000_123, commands);

        var decoded = CommandBatch.Decode(new ReadOnlySequence<byte>(batch.Encode()));

        Assert.Equal(batch.Id, decoded.Id);
        Assert.Equal(batch.TimeMs, decoded.TimeMs);
        // Compared by their printed fields: each command also holds its caller's completion, which no copy shares.
        Assert.Equal(commands.Select(c => c.ToString()), decoded.Commands.Select(c => c.ToString()));
    }

    [Fact]
    public void A_truncated_entry_or_one_with_bytes_after_its_last_command_is_refused_as_invalid_data()
    {
        var bytes = new CommandBatch(Guid.NewGuid(), 1, [new OpenAccountCommand("cus-1"), new OpenAccountCommand("cus-2")]).Encode();
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => CommandBatch.Decode(new ReadOnlySequence<byte>(bytes.AsMemory(0, length))));
        }
        Assert.Throws<InvalidDataException>(() => CommandBatch.Decode(new ReadOnlySequence<byte>([.. bytes, 0])));
        var unknownKind = (byte[])bytes.Clone();
        unknownKind[1 + 16 + 8 + 4] = 99;
        Assert.Throws<InvalidDataException>(() => CommandBatch.Decode(new ReadOnlySequence<byte>(unknownKind)));
    }
}
