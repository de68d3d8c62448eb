using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.Shared.Chain;

/// <summary>
/// A UTXO transaction. Immutable; its hashes are computed once over the canonical encoding
/// (docs/PROTOCOL.md §2): the txid leaves signatures out so a signature can't change it.
/// </summary>
public sealed class Transaction
{
    /// <summary>2: the signature message commits to the spent outputs (version 1 did not, and is refused).</summary>
    public const uint CurrentVersion = 2;

    private Hash256? _txid;
    private Hash256? _wtxid;

    public Transaction(uint version, IReadOnlyList<TxInput> inputs, IReadOnlyList<TxOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        foreach (var input in inputs)
        {
            if (input.Signature.Length != TxInput.SignatureSize)
            {
                throw new ArgumentException($"Every signature is {TxInput.SignatureSize} bytes.", nameof(inputs));
            }
        }
        foreach (var output in outputs)
        {
            if (output.PublicKey.Length != TxOutput.PublicKeySize)
            {
                throw new ArgumentException($"Every output key is {TxOutput.PublicKeySize} bytes.", nameof(outputs));
            }
        }
        Version = version;
        Inputs = inputs;
        Outputs = outputs;
    }

    public uint Version { get; }
    public IReadOnlyList<TxInput> Inputs { get; }
    public IReadOnlyList<TxOutput> Outputs { get; }

    /// <summary>Hash of the encoding without signatures: what outputs are referenced by.</summary>
    public Hash256 Txid => _txid ??= Sha256Hasher.DoubleHash(EncodeUnsigned());

    /// <summary>Hash of the full encoding with signatures: the merkle tree's leaves.</summary>
    public Hash256 Wtxid => _wtxid ??= Sha256Hasher.DoubleHash(Encode());

    /// <summary>Size of the full encoding in bytes: what block size limits and fee rates count.</summary>
    public int Size => SizeOf(Inputs.Count, Outputs.Count);

    /// <summary>The full encoding's length for these counts (docs/PROTOCOL.md §2): what a fee per byte is paid on.</summary>
    public static int SizeOf(int inputs, int outputs) => 12 + inputs * TxInput.EncodedSize + outputs * TxOutput.EncodedSize;

    /// <summary>A coinbase has one input whose txid is zero; its index is the block height.</summary>
    public bool IsCoinbase => Inputs.Count == 1 && Inputs[0].PreviousOutput.Txid.IsZero;

    public static Transaction CreateCoinbase(uint height, IReadOnlyList<TxOutput> outputs) =>
        new(CurrentVersion, [TxInput.WithoutSignature(new OutPoint(Hash256.Zero, height))], outputs);

    public Amount TotalOutput()
    {
        var total = Amount.Zero;
        foreach (var output in Outputs)
        {
            total += output.Amount;
        }
        return total;
    }

    public byte[] Encode()
    {
        var writer = new CanonicalWriter(Size);
        WriteTo(writer, withSignatures: true);
        return writer.ToArray();
    }

    public byte[] EncodeUnsigned()
    {
        var writer = new CanonicalWriter(Size);
        WriteTo(writer, withSignatures: false);
        return writer.ToArray();
    }

    public void WriteTo(CanonicalWriter writer, bool withSignatures)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteUInt32(Version);
        writer.WriteUInt32((uint)Inputs.Count);
        foreach (var input in Inputs)
        {
            writer.WriteHash(input.PreviousOutput.Txid);
            writer.WriteUInt32(input.PreviousOutput.Index);
            if (withSignatures)
            {
                writer.WriteFixed(input.Signature.Span);
            }
        }
        writer.WriteUInt32((uint)Outputs.Count);
        foreach (var output in Outputs)
        {
            writer.WriteInt64(output.Amount.MinorUnits);
            writer.WriteFixed(output.PublicKey.Span);
        }
    }

    public static Transaction Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new CanonicalReader(bytes);
        var tx = ReadFrom(ref reader);
        reader.EnsureEnd();
        return tx;
    }

    public static Transaction ReadFrom(ref CanonicalReader reader)
    {
        var version = reader.ReadUInt32();
        var inputCount = reader.ReadCount(TxInput.EncodedSize);
        var inputs = new TxInput[inputCount];
        for (var i = 0; i < inputCount; i++)
        {
            var outPoint = new OutPoint(reader.ReadHash(), reader.ReadUInt32());
            inputs[i] = new TxInput(outPoint, reader.ReadFixed(TxInput.SignatureSize));
        }
        var outputCount = reader.ReadCount(TxOutput.EncodedSize);
        var outputs = new TxOutput[outputCount];
        for (var i = 0; i < outputCount; i++)
        {
            outputs[i] = new TxOutput(new Amount(reader.ReadInt64()), reader.ReadFixed(TxOutput.PublicKeySize));
        }
        return new Transaction(version, inputs, outputs);
    }

    public override string ToString() => Txid.ToString();
}
