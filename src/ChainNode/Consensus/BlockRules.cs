using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>The rules for a block, in the order a node can check them: header, body, then against its parent.</summary>
public static class BlockRules
{
    /// <summary>Proof of work against the header's own target: cheap, so it comes before anything is stored.</summary>
    public static void CheckProofOfWork(BlockHeader header, ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(parameters);
        if (header.Version != BlockHeader.CurrentVersion)
        {
            throw new ConsensusException(RejectReasons.BlockBadVersion, $"Block version {header.Version} is not {BlockHeader.CurrentVersion}.");
        }
        var target = Target.FromCompact(header.Bits);
        if (target.Sign <= 0 || target > parameters.PowLimit)
        {
            throw new ConsensusException(RejectReasons.BlockBadTarget, $"Target bits 0x{header.Bits:x8} are not a valid target.");
        }
        if (!Target.MeetsTarget(header.Hash, target))
        {
            throw new ConsensusException(RejectReasons.BlockHighHash, $"Block {header.Hash} does not meet its proof-of-work target.");
        }
    }

    /// <summary>
    /// Everything about the body that needs no chain: the merkle root first — until the body is
    /// known to be the one the header commits to, any other failure may be a sender's mutation
    /// of a valid block, not the block's fault — then limits, coinbase shape, in-block double spends.
    /// </summary>
    public static void CheckBody(Block block, ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(parameters);
        if (block.Transactions.Count == 0 || block.ComputeMerkleRoot() != block.Header.MerkleRoot)
        {
            throw new ConsensusException(RejectReasons.BlockBadMerkleRoot, "The merkle root does not match the block's transactions.");
        }
        if (!block.Transactions[0].IsCoinbase)
        {
            throw new ConsensusException(RejectReasons.BlockNoCoinbase, "The first transaction of a block must be its coinbase.");
        }
        if (block.Transactions.Count > parameters.MaxBlockTransactions)
        {
            throw new ConsensusException(RejectReasons.BlockTooManyTransactions, $"The block holds {block.Transactions.Count} transactions; at most {parameters.MaxBlockTransactions} are allowed.");
        }
        if (block.Size > parameters.MaxBlockSize)
        {
            throw new ConsensusException(RejectReasons.BlockOversize, $"The block is {block.Size} bytes; at most {parameters.MaxBlockSize} are allowed.");
        }
        for (var i = 1; i < block.Transactions.Count; i++)
        {
            if (block.Transactions[i].IsCoinbase)
            {
                throw new ConsensusException(RejectReasons.BlockMultipleCoinbase, $"Transaction {i} is a second coinbase.");
            }
        }
        var txids = new HashSet<Hash256>();
        var spent = new HashSet<OutPoint>();
        foreach (var tx in block.Transactions)
        {
            try
            {
                TransactionRules.CheckStructure(tx, parameters);
            }
            catch (ConsensusException ex)
            {
                throw new ConsensusException(ex.Reason, $"Transaction {tx.Txid}: {ex.Message}", ex.Details) { Fault = BlockFault.Invalid };
            }
            if (!txids.Add(tx.Txid))
            {
                throw new ConsensusException(RejectReasons.BlockDuplicateTransaction, $"Transaction {tx.Txid} appears twice.");
            }
            if (tx.IsCoinbase)
            {
                continue;
            }
            foreach (var input in tx.Inputs)
            {
                if (!spent.Add(input.PreviousOutput))
                {
                    throw new ConsensusException(RejectReasons.BlockDoubleSpend, $"Output {input.PreviousOutput} is spent by two transactions of the block.");
                }
            }
        }
    }

    /// <summary>Rules that need the parent: target for this height, time, and the coinbase's height commitment.</summary>
    public static void CheckAgainstParent(Block block, uint height, uint expectedBits, ulong medianTimePast, ulong nowMs, ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(parameters);
        if (block.Header.Bits != expectedBits)
        {
            throw new ConsensusException(RejectReasons.BlockBadTarget, $"Target bits 0x{block.Header.Bits:x8} are wrong for height {height}; expected 0x{expectedBits:x8}.");
        }
        if (block.Header.TimeMs <= medianTimePast)
        {
            throw new ConsensusException(RejectReasons.BlockTimeTooOld, $"Block time {block.Header.TimeMs} is not after the median time of the last blocks ({medianTimePast}).");
        }
        if (block.Header.TimeMs > nowMs + (ulong)parameters.MaxFutureBlockTime.TotalMilliseconds)
        {
            throw new ConsensusException(RejectReasons.BlockTimeTooNew, $"Block time {block.Header.TimeMs} is more than {parameters.MaxFutureBlockTime.TotalSeconds} s in the future.");
        }
        if (block.Transactions[0].Inputs[0].PreviousOutput.Index != height)
        {
            throw new ConsensusException(RejectReasons.BlockCoinbaseHeight, $"The coinbase commits to height {block.Transactions[0].Inputs[0].PreviousOutput.Index}, but the block is at height {height}.");
        }
    }
}
