using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.ChainNode.Node;

/// <summary>The node stopped after a storage (or internal) failure: nothing it holds in memory is served any more.</summary>
public sealed class NodeStoppedException(Exception cause)
    : ReasonedException(Api.NodeReasons.NodeStopped, $"The node stopped after a storage failure ({cause?.Message}); restart it: it recovers from its data directory.", null);
