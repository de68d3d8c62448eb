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

/// <summary>What a block spent, so disconnecting it can put those outputs back.</summary>
public sealed class UndoDoc
{
    public string Id { get; set; } = "";
    public List<UtxoDoc> Spent { get; set; } = [];
}

/// <summary>Where a transaction of the active chain was confirmed.</summary>
public sealed class TxLocationDoc
{
    public string Id { get; set; } = "";
    public string BlockHash { get; set; } = "";
    public int Height { get; set; }
    public int OutputCount { get; set; }
}

/// <summary>A transaction that lost to a conflicting spend, and the spend that won.</summary>
public sealed class ConflictDoc
{
    public string Id { get; set; } = "";
    public string WinnerTxid { get; set; } = "";
}

public sealed class MetaDoc
{
    public string Id { get; set; } = "";
    public string Value { get; set; } = "";
}
