namespace LedgerContrast.ChainNode.Storage;

/// <summary>How many unspent outputs and confirmed transactions the active chain holds: recorded with every tip change, checked at startup.</summary>
public readonly record struct StoreCounts(int Utxos, int Transactions);
