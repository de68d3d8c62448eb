using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Storage;

/// <summary>A connected block's record as startup reads it: its height and hash, its transactions (id, output count), its filter header if recorded.</summary>
public sealed record ConnectedRecord(uint Height, Hash256 Block, IReadOnlyList<(Hash256 Txid, int Outputs)> Transactions, Hash256? FilterHeader);
