namespace LedgerContrast.ChainNode.Storage;

// LiteDB documents of one node's chain.db. Hashes are lowercase hex strings (as printed).

public sealed class BlockDoc
{
    public string Id { get; set; } = "";
    public byte[] Bytes { get; set; } = [];
}

public sealed class BlockIndexDoc
{
    public string Id { get; set; } = "";
    public byte[] Header { get; set; } = [];
    public int Height { get; set; }
    public long Sequence { get; set; }
    public int Status { get; set; }
    public string InvalidReason { get; set; } = "";
}

public sealed class UtxoDoc
{
    public string Id { get; set; } = "";
    public long Amount { get; set; }
    public byte[] PublicKey { get; set; } = [];
    public int Height { get; set; }
    public bool Coinbase { get; set; }
}

/// <summary>
/// One block of the active chain, keyed by height: what connecting it spent (so disconnecting it
/// can put those outputs back), which transactions it confirmed, and the counts after it. The
/// highest is the tip. One document per block, not one per transaction: a LiteDB write costs
/// far more per document and per collection touched than per byte.
/// </summary>
public sealed class ConnectedDoc
{
    public int Id { get; set; }
    public string Hash { get; set; } = "";
    public List<UtxoDoc> Spent { get; set; } = [];

    /// <summary>The block's txids, 32 bytes each, in block order.</summary>
    public byte[] Txids { get; set; } = [];
    public List<int> OutputCounts { get; set; } = [];

    /// <summary>Unspent outputs and confirmed transactions once this block is the tip.</summary>
    public int Utxos { get; set; }
    public int Transactions { get; set; }

    /// <summary>Its compact filter (PROTOCOL.md §9) and filter header; empty in a record written by an earlier release (rebuilt at startup).</summary>
    public byte[] Filter { get; set; } = [];
    public byte[] FilterHeader { get; set; } = [];
}

/// <summary>A transaction that lost to a conflicting spend, and the spend that won.</summary>
public sealed class ConflictDoc
{
    public string Id { get; set; } = "";
    public string WinnerTxid { get; set; } = "";
}
