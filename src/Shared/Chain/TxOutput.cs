using LedgerContrast.Shared.Money;

namespace LedgerContrast.Shared.Chain;

/// <summary>Pays <see cref="Amount"/> to the owner of the 32-byte x-only <see cref="PublicKey"/>.</summary>
public sealed record TxOutput(Amount Amount, ReadOnlyMemory<byte> PublicKey)
{
    public const int PublicKeySize = 32;
    public const int EncodedSize = 8 + PublicKeySize;
}
