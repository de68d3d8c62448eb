using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.Shared.Chain;

namespace LedgerContrast.ChainNode.Storage;

/// <summary>A block index entry as stored: enough to rebuild the tree at startup.</summary>
public sealed record StoredIndexEntry(BlockHeader Header, uint Height, long Sequence, BlockStatus Status, string InvalidReason);
