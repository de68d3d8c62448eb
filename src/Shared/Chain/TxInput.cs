namespace LedgerContrast.Shared.Chain;

/// <summary>Spends <see cref="PreviousOutput"/>; <see cref="Signature"/> is a 64-byte BIP-340 signature.</summary>
public sealed record TxInput(OutPoint PreviousOutput, ReadOnlyMemory<byte> Signature)
{
    public const int SignatureSize = 64;
    public const int EncodedSize = OutPoint.EncodedSize + SignatureSize;

    public static TxInput WithoutSignature(OutPoint previousOutput) => new(previousOutput, new byte[SignatureSize]);
}
