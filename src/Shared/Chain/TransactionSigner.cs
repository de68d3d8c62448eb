using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.Shared.Chain;

/// <summary>
/// The signature message of a transaction (docs/PROTOCOL.md §3): one tagged hash over the
/// network id, the unsigned encoding, and the amount and key of every output it spends. The
/// network id stops a transaction signed for one network from being replayed on another; the
/// spent outputs stop a lying node from getting a wallet to sign away more than it means to
/// (told a 1,000-unit coin holds 1, it would pay ~999 units as fee), as BIP-341 does.
/// Every input signs the same message.
/// </summary>
public static class TransactionSigner
{
    /// <param name="spent">The output each input spends, in input order.</param>
    public static Hash256 SignatureMessage(Transaction transaction, Hash256 networkId, IReadOnlyList<TxOutput> spent)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(spent);
        if (spent.Count != transaction.Inputs.Count)
        {
            throw new ArgumentException($"Need the spent output of every input: {transaction.Inputs.Count} inputs, {spent.Count} outputs.", nameof(spent));
        }
        var writer = new CanonicalWriter(Hash256.Size + transaction.Size + spent.Count * TxOutput.EncodedSize);
        writer.WriteHash(networkId);
        transaction.WriteTo(writer, withSignatures: false);
        foreach (var output in spent)
        {
            writer.WriteInt64(output.Amount.MinorUnits);
            writer.WriteFixed(output.PublicKey.Span);
        }
        return TaggedHash.Compute(TaggedHash.SighashTag, writer.WrittenSpan);
    }

    /// <summary>
    /// Returns a copy of <paramref name="unsignedTransaction"/> with every input signed by the key
    /// that owns the output it spends, committing to that output's amount.
    /// </summary>
    public static Transaction Sign(Transaction unsignedTransaction, Hash256 networkId, IReadOnlyList<PrivateKey> keyPerInput, IReadOnlyList<Amount> spentAmounts)
    {
        ArgumentNullException.ThrowIfNull(unsignedTransaction);
        ArgumentNullException.ThrowIfNull(keyPerInput);
        ArgumentNullException.ThrowIfNull(spentAmounts);
        if (keyPerInput.Count != unsignedTransaction.Inputs.Count || spentAmounts.Count != unsignedTransaction.Inputs.Count)
        {
            throw new ArgumentException($"Need one key and one spent amount per input: {unsignedTransaction.Inputs.Count} inputs, {keyPerInput.Count} keys, {spentAmounts.Count} amounts.", nameof(keyPerInput));
        }
        var spent = keyPerInput.Select((key, i) => new TxOutput(spentAmounts[i], key.PublicKey.ToArray())).ToList();
        Span<byte> message = stackalloc byte[Hash256.Size];
        SignatureMessage(unsignedTransaction, networkId, spent).WriteTo(message);
        var inputs = new TxInput[unsignedTransaction.Inputs.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = unsignedTransaction.Inputs[i] with { Signature = keyPerInput[i].Sign(message).ToArray() };
        }
        return new Transaction(unsignedTransaction.Version, inputs, unsignedTransaction.Outputs);
    }
}
