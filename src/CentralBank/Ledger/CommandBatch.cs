using System.Buffers;
using System.Text;

namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// One replicated log entry: a group-commit batch of commands with the time and id the leader
/// fixed for it. Every replica executes the same commands against the same state at the same
/// time, so every replica writes the same journal (docs/BANK.md, "Replication").
/// <para>
/// Layout (little-endian): version byte 1; batch id, 16 bytes; time in Unix ms, int64; the
/// command count, int32; then each command: a kind byte and its fields, strings as a 7-bit
/// encoded UTF-8 length and bytes, amounts as int64, flags as one byte.
/// </para>
/// </summary>
public sealed record CommandBatch(Guid Id, long TimeMs, IReadOnlyList<LedgerCommand> Commands)
{
    private const byte Version = 1;
    private const byte CreateCustomer = 1, OpenAccount = 2, Cash = 3, Transfer = 4, Reverse = 5;

    /// <summary>A batch holds at most this many commands (the writer's group-commit limit).</summary>
    public const int MaxCommands = LedgerWriter.MaxBatch;

    public byte[] Encode()
    {
        using var stream = new MemoryStream(64 + Commands.Count * 96);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Version);
            writer.Write(Id.ToByteArray());
            writer.Write(TimeMs);
            writer.Write(Commands.Count);
            foreach (var command in Commands)
            {
                Write(writer, command);
            }
        }
        return stream.ToArray();
    }

    private static void Write(BinaryWriter writer, LedgerCommand command)
    {
        switch (command)
        {
            case CreateCustomerCommand c:
                writer.Write(CreateCustomer);
                writer.Write(c.Name);
                writer.Write(c.TokenHash);
                break;
            case OpenAccountCommand c:
                writer.Write(OpenAccount);
                writer.Write(c.CustomerId);
                break;
            case CashCommand c:
                writer.Write(Cash);
                writer.Write(c.Kind);
                writer.Write(c.AccountId);
                writer.Write(c.Amount);
                Write(writer, c.Principal);
                writer.Write(c.IdempotencyKey);
                break;
            case TransferCommand c:
                writer.Write(Transfer);
                writer.Write(c.FromAccountId);
                writer.Write(c.ToAccountId);
                writer.Write(c.Amount);
                Write(writer, c.Principal);
                writer.Write(c.IdempotencyKey);
                break;
            case ReverseCommand c:
                writer.Write(Reverse);
                writer.Write(c.EntryId);
                writer.Write(c.Memo);
                writer.Write(c.Force);
                Write(writer, c.Principal);
                break;
            default:
                throw new ArgumentException($"{command.GetType().Name} cannot be replicated.", nameof(command));
        }
    }

    private static void Write(BinaryWriter writer, Principal principal)
    {
        writer.Write(principal.IsAdmin);
        writer.Write(principal.CustomerId ?? "");
    }

    /// <summary>Decodes an entry; anything but a whole, well-formed batch is <see cref="InvalidDataException"/>.</summary>
    public static CommandBatch Decode(ReadOnlySequence<byte> payload)
    {
        using var stream = new MemoryStream(payload.ToArray(), writable: false);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (reader.ReadByte() != Version)
            {
                throw new InvalidDataException("The log entry has an unknown version.");
            }
            var idBytes = reader.ReadBytes(16);
            if (idBytes.Length != 16)
            {
                throw new EndOfStreamException();
            }
            var id = new Guid(idBytes);
            var timeMs = reader.ReadInt64();
            var count = reader.ReadInt32();
            if (count < 0 || count > MaxCommands)
            {
                throw new InvalidDataException($"The log entry claims {count} commands.");
            }
            var commands = new List<LedgerCommand>(count);
            for (var i = 0; i < count; i++)
            {
                commands.Add(ReadCommand(reader));
            }
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException("The log entry has bytes after its last command.");
            }
            return new CommandBatch(id, timeMs, commands);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The log entry ends inside a command.", ex);
        }
    }

    private static LedgerCommand ReadCommand(BinaryReader reader) => reader.ReadByte() switch
    {
        CreateCustomer => new CreateCustomerCommand(reader.ReadString(), reader.ReadString()),
        OpenAccount => new OpenAccountCommand(reader.ReadString()),
        Cash => new CashCommand(reader.ReadString(), reader.ReadString(), reader.ReadInt64(), ReadPrincipal(reader), reader.ReadString()),
        Transfer => new TransferCommand(reader.ReadString(), reader.ReadString(), reader.ReadInt64(), ReadPrincipal(reader), reader.ReadString()),
        Reverse => new ReverseCommand(reader.ReadString(), reader.ReadString(), reader.ReadBoolean(), ReadPrincipal(reader)),
        var kind => throw new InvalidDataException($"The log entry holds a command of unknown kind {kind}."),
    };

    private static Principal ReadPrincipal(BinaryReader reader)
    {
        var isAdmin = reader.ReadBoolean();
        var customer = reader.ReadString();
        return isAdmin ? Principal.Admin : new Principal(false, customer);
    }
}
