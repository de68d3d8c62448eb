using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Node;

public sealed record AddressCoin(OutPoint OutPoint, Amount Amount, uint Height, bool Coinbase, bool Mature, bool SpentInMempool);
