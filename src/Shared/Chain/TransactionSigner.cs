using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Chain;

/// <summary>
/// The signature message of a transaction (docs/PROTOCOL.md §3): one tagged hash over the
/// network id and the unsigned encoding. The network id stops a transaction signed for one
/// network from being replayed on another; every input signs the same message.
/// </summary>
public static class TransactionSigner
{
    public static Hash256 SignatureMessage(Transaction transaction, Hash256 networkId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        Span<byte> id = stackalloc byte[Hash256.Size];
        networkId.WriteTo(id);
        return TaggedHash.Compute(TaggedHash.SighashTag, id, transaction.EncodeUnsigned());
    }

    /// <summary>Returns a copy of <paramref name="unsignedTransaction"/> with every input signed by the key that owns it.</summary>
    public static Transaction Sign(Transaction unsignedTransaction, Hash256 networkId, IReadOnlyList<PrivateKey> keyPerInput)
    {
        ArgumentNullException.ThrowIfNull(unsignedTransaction);
        ArgumentNullException.ThrowIfNull(keyPerInput);
        if (keyPerInput.Count != unsignedTransaction.Inputs.Count)
        {
            throw new ArgumentException($"Need one key per input: {unsignedTransaction.Inputs.Count} inputs, {keyPerInput.Count} keys.", nameof(keyPerInput));
        }
        Span<byte> message = stackalloc byte[Hash256.Size];
        SignatureMessage(unsignedTransaction, networkId).WriteTo(message);
        var inputs = new TxInput[unsignedTransaction.Inputs.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = unsignedTransaction.Inputs[i] with { Signature = keyPerInput[i].Sign(message).ToArray() };
        }
        return new Transaction(unsignedTransaction.Version, inputs, unsignedTransaction.Outputs);
    }
}
