using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Hosting;

namespace LedgerContrast.ChainNode.Tests.Consensus;

/// <summary>
/// The genesis vectors of docs/PROTOCOL.md §8, one per built-in network, as `chain node` derives
/// them from its command line. Computed independently from the document (Python hashlib); an
/// outsider's node that gets these hashes shares our network ids and so our signatures.
/// </summary>
public class GenesisVectorTests
{
    public static TheoryData<string, bool, string> BuiltInNetworks => new()
    {
        { "lc-local", false, "2b143c2c15146461971c1bf76a3d7835bcfa4db9c8142e72c9fe4eeb95d6e3db" },
        { "lc-regtest", true, "8fd790f262616738d55542e8b3876ded2b3ad72c40be0be4d5426ac5de4b73e5" },
    };

    [Theory]
    [MemberData(nameof(BuiltInNetworks))]
    public void Each_built_in_network_has_the_documented_genesis_hash(string network, bool regtest, string genesisHash)
    {
        var parameters = new NodeOptions { DataDirectory = ".", Regtest = regtest }.ToParameters();

        Assert.Equal(network, parameters.Network);
        Assert.Equal(genesisHash, Genesis.Create(parameters).Hash.ToString());
    }

    [Fact]
    public void The_initial_target_is_2_to_the_236_in_compact_form_0x1e100000()
    {
        Assert.Equal(0x1e100000u, ChainParameters.InitialBits);
        Assert.Equal(System.Numerics.BigInteger.One << 236, Shared.Chain.Target.FromCompact(0x1e100000));
    }
}
