using System.Globalization;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>The rules for one transaction: first on its own, then against the outputs it spends.</summary>
public static class TransactionRules
{
    /// <summary>Checks that need nothing but the transaction itself.</summary>
    public static void CheckStructure(Transaction tx, ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(parameters);
        if (tx.Version != Transaction.CurrentVersion)
        {
            throw new ConsensusException(RejectReasons.TxBadVersion, $"Transaction version {tx.Version} is not {Transaction.CurrentVersion}.");
        }
        if (tx.Inputs.Count == 0)
        {
            throw new ConsensusException(RejectReasons.TxNoInputs, "The transaction has no inputs.");
        }
        if (tx.Outputs.Count == 0)
        {
            throw new ConsensusException(RejectReasons.TxNoOutputs, "The transaction has no outputs.");
        }
        if (tx.Size > parameters.MaxTransactionSize)
        {
            throw new ConsensusException(RejectReasons.TxOversize, $"The transaction is {tx.Size} bytes; at most {parameters.MaxTransactionSize} are allowed.");
        }
        var total = 0L;
        foreach (var output in tx.Outputs)
        {
            if (output.Amount.MinorUnits <= 0)
            {
                throw new ConsensusException(RejectReasons.TxAmountNotPositive, $"An output pays {output.Amount}; every output must pay more than zero.");
            }
            if (output.Amount > parameters.MaxMoney || (total += output.Amount.MinorUnits) > parameters.MaxMoney.MinorUnits)
            {
                throw new ConsensusException(RejectReasons.TxAmountTooLarge, $"The outputs pay more than the {parameters.MaxMoney} units that can ever exist.");
            }
        }
        if (tx.IsCoinbase)
        {
            return;
        }
        var seen = new HashSet<OutPoint>();
        foreach (var input in tx.Inputs)
        {
            if (input.PreviousOutput.Txid.IsZero)
            {
                throw new ConsensusException(RejectReasons.TxNullInput, "An input spends the null output, which only a coinbase may do.");
            }
            if (!seen.Add(input.PreviousOutput))
            {
                throw new ConsensusException(RejectReasons.TxDuplicateInput, $"Output {input.PreviousOutput} is spent twice by this transaction.");
            }
        }
    }

    /// <summary>
    /// Looks up every spent output and checks maturity and amounts; returns the fee and the
    /// output each input spends (whose key must have signed it, and which the signature message
    /// commits to). Signatures are checked separately (they are the costly part and can run in
    /// parallel, outside any lock).
    /// </summary>
    public static (Amount Fee, TxOutput[] Spent) CheckInputs(Transaction tx, IUtxoView view, uint spendHeight, ChainParameters parameters, Func<OutPoint, string>? whyMissing = null)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(parameters);
        if (tx.IsCoinbase)
        {
            throw new ConsensusException(RejectReasons.TxCoinbaseNotAllowed, "A coinbase is only valid as the first transaction of a block.");
        }
        var spentOutputs = new TxOutput[tx.Inputs.Count];
        var totalIn = 0L;
        for (var i = 0; i < tx.Inputs.Count; i++)
        {
            var outPoint = tx.Inputs[i].PreviousOutput;
            var spent = view.Find(outPoint);
            if (spent is null)
            {
                var reason = whyMissing?.Invoke(outPoint) ?? RejectReasons.TxMissingInput;
                throw new ConsensusException(reason, reason == RejectReasons.TxInputSpent
                    ? $"Output {outPoint} was already spent."
                    : $"Output {outPoint} does not exist.", new Dictionary<string, string> { ["out_point"] = outPoint.ToString() });
            }
            if (spent.Coinbase && spendHeight - spent.Height < parameters.CoinbaseMaturity)
            {
                throw new ConsensusException(RejectReasons.TxImmatureCoinbaseSpend,
                    $"Output {outPoint} is a coinbase from height {spent.Height}; it can be spent from height {(spent.Height + parameters.CoinbaseMaturity).ToString(CultureInfo.InvariantCulture)}.");
            }
            totalIn += spent.Amount.MinorUnits;
            spentOutputs[i] = new TxOutput(spent.Amount, spent.PublicKey);
        }
        var totalOut = tx.TotalOutput().MinorUnits;
        if (totalOut > totalIn)
        {
            throw new ConsensusException(RejectReasons.TxOutputsExceedInputs,
                $"The outputs pay {Amount.FromMinorUnits(totalOut)} but the inputs hold only {Amount.FromMinorUnits(totalIn)}.");
        }
        return (Amount.FromMinorUnits(totalIn - totalOut), spentOutputs);
    }

    /// <summary>Every input must carry a BIP-340 signature of the signature message by the key of the output it spends.</summary>
    public static void CheckSignatures(Transaction tx, IReadOnlyList<TxOutput> spent, Hash256 networkId)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(spent);
        Span<byte> message = stackalloc byte[Hash256.Size];
        TransactionSigner.SignatureMessage(tx, networkId, spent).WriteTo(message);
        for (var i = 0; i < tx.Inputs.Count; i++)
        {
            var valid = PublicKey.TryFromBytes(spent[i].PublicKey.Span, out var key, out _)
                && SchnorrSignature.TryFromBytes(tx.Inputs[i].Signature.Span, out var signature, out _)
                && key.Verify(message, signature);
            if (!valid)
            {
                throw new ConsensusException(RejectReasons.TxBadSignature, $"Input {i} is not signed by the owner of {tx.Inputs[i].PreviousOutput}.");
            }
        }
    }

    /// <summary>Whether two lookups of a transaction's inputs found the same outputs (same amounts, same keys).</summary>
    public static bool SameOutputs(IReadOnlyList<TxOutput> first, IReadOnlyList<TxOutput> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return first.Count == second.Count
            && first.Zip(second).All(pair => pair.First.Amount == pair.Second.Amount && pair.First.PublicKey.Span.SequenceEqual(pair.Second.PublicKey.Span));
    }
}
