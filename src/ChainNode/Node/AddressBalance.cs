using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Node;

public sealed record AddressBalance(Amount Confirmed, Amount Unconfirmed, Amount Immature);
