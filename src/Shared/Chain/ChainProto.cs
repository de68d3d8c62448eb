using Google.Protobuf;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using Proto = LedgerContrast.Protos.Chain.V1;

namespace LedgerContrast.Shared.Chain;

/// <summary>
/// Converts chain objects to and from their protobuf wire form. Reading checks every length, so
/// malformed input from a peer or a client fails here with a <see cref="FormatException"/>, never deeper.
/// </summary>
public static class ChainProto
{
    public static Proto.Transaction ToProto(this Transaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var proto = new Proto.Transaction { Version = tx.Version };
        foreach (var input in tx.Inputs)
        {
            proto.Inputs.Add(new Proto.TxInput
            {
                PreviousOutput = input.PreviousOutput.ToProto(),
                Signature = ByteString.CopyFrom(input.Signature.Span),
            });
        }
        foreach (var output in tx.Outputs)
        {
            proto.Outputs.Add(new Proto.TxOutput { Amount = output.Amount.MinorUnits, PublicKey = ByteString.CopyFrom(output.PublicKey.Span) });
        }
        return proto;
    }

    public static Transaction FromProto(Proto.Transaction proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        var inputs = new TxInput[proto.Inputs.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var input = proto.Inputs[i];
            if (input.PreviousOutput is null)
            {
                throw new FormatException($"Input {i} has no previous output.");
            }
            Exact(input.Signature, TxInput.SignatureSize, $"input {i} signature");
            inputs[i] = new TxInput(OutPointFromProto(input.PreviousOutput), input.Signature.ToByteArray());
        }
        var outputs = new TxOutput[proto.Outputs.Count];
        for (var i = 0; i < outputs.Length; i++)
        {
            Exact(proto.Outputs[i].PublicKey, TxOutput.PublicKeySize, $"output {i} public key");
            outputs[i] = new TxOutput(Amount.FromMinorUnits(proto.Outputs[i].Amount), proto.Outputs[i].PublicKey.ToByteArray());
        }
        return new Transaction(proto.Version, inputs, outputs);
    }

    public static Proto.OutPoint ToProto(this OutPoint outPoint) =>
        new() { Txid = outPoint.Txid.ToByteString(), Index = outPoint.Index };

    public static OutPoint OutPointFromProto(Proto.OutPoint proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        return new OutPoint(HashFromProto(proto.Txid, "txid"), proto.Index);
    }

    public static Proto.BlockHeader ToProto(this BlockHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return new Proto.BlockHeader
        {
            Version = header.Version,
            PreviousHash = header.PreviousHash.ToByteString(),
            MerkleRoot = header.MerkleRoot.ToByteString(),
            TimeMs = header.TimeMs,
            Bits = header.Bits,
            Nonce = header.Nonce,
        };
    }

    public static Proto.Block ToProto(this Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var proto = new Proto.Block { Header = block.Header.ToProto() };
        proto.Transactions.AddRange(block.Transactions.Select(ToProto));
        return proto;
    }

    public static Block FromProto(Proto.Block proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        return new Block(FromProto(proto.Header ?? throw new FormatException("The block has no header.")), [.. proto.Transactions.Select(FromProto)]);
    }

    public static BlockHeader FromProto(Proto.BlockHeader proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        return new BlockHeader(proto.Version, HashFromProto(proto.PreviousHash, "previous hash"), HashFromProto(proto.MerkleRoot, "merkle root"), proto.TimeMs, proto.Bits, proto.Nonce);
    }

    public static ByteString ToByteString(this Hash256 hash) => ByteString.CopyFrom(hash.ToArray());

    public static Hash256 HashFromProto(ByteString bytes, string what)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Exact(bytes, Hash256.Size, what);
        return new Hash256(bytes.Span);
    }

    private static void Exact(ByteString bytes, int size, string what)
    {
        if (bytes.Length != size)
        {
            throw new FormatException($"The {what} must be {size} bytes, got {bytes.Length}.");
        }
    }
}
