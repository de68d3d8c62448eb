using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.ChainNode.Api;

/// <summary>A refusal by a node's service (not a consensus rule): its status is the one <see cref="NodeReasons"/> gives the reason.</summary>
public sealed class NodeRefusal(string reason, string message) : ReasonedException(reason, message, null);
