using System.Numerics;
using LedgerContrast.Shared.Addresses;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.ChainNode.Consensus;

/// <summary>
/// The rules of one network. Every node of a network must use the same values (except local
/// policy such as mempool size); the genesis block, and so the network id, is derived from them.
/// </summary>
public sealed record ChainParameters
{
    public const string DefaultNetwork = Address.MainNetwork;

    public string Network { get; init; } = DefaultNetwork;

    /// <summary>Regtest: trivial fixed difficulty, no retargeting; everything else identical.</summary>
    public bool Regtest { get; init; }

    public TimeSpan BlockInterval { get; init; } = TimeSpan.FromSeconds(5);
    public int CoinbaseMaturity { get; init; } = 100;
    public Amount BlockReward { get; init; } = Amount.FromUnits(50);
    public Amount MaxMoney { get; init; } = Amount.FromUnits(21_000_000);
    public int MaxBlockSize { get; init; } = 1_000_000;
    public int MaxBlockTransactions { get; init; } = 10_000;
    public int MaxTransactionSize { get; init; } = 100_000;
    public int RetargetWindow { get; init; } = 20;
    public int MedianTimeSpan { get; init; } = 11;
    public TimeSpan MaxFutureBlockTime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Each retarget changes the target by at most this factor, so a burst can't swing difficulty wildly.</summary>
    public int MaxRetargetFactor { get; init; } = 2;

    public string AddressPrefix => PrefixFor(Network);

    /// <summary>Addresses of the demo network start "lc1"; of every other (test, regtest) network "lct1".</summary>
    public static string PrefixFor(string network) => Address.PrefixForNetwork(network);

    public static readonly uint RegtestBits = 0x207fffff;

    /// <summary>About 2^20 expected hashes: a fraction of a second on one core; retargeting takes it from there.</summary>
    public static readonly uint InitialBits = Target.ToCompact(BigInteger.One << 236);

    public uint GenesisBits => Regtest ? RegtestBits : InitialBits;

    public BigInteger PowLimit => Target.FromCompact(RegtestBits);

    public static ChainParameters ForRegtest(string network = "lc-regtest", int coinbaseMaturity = 10) =>
        new() { Network = network, Regtest = true, CoinbaseMaturity = coinbaseMaturity };
}
