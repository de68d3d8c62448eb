using System.Numerics;
using Google.Protobuf;
using LedgerContrast.Contrast.Scenarios;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Measurement;

namespace LedgerContrast.Contrast.Tests.Scenarios;

/// <summary>The figures the lab computes from its measurements: what they are defined to be.</summary>
public class ScenarioFiguresTests
{
    private static RateEstimate Rate(double perSecond) => new(perSecond, perSecond * 0.95, perSecond * 1.05, (long)(perSecond * 4), 10, 4);

    [Fact]
    public void Saturation_is_the_fewest_clients_within_ten_percent_of_the_best_throughput_not_the_first_step_that_gained_little()
    {
        // The run of issue 27: 54 → 2,305 → 2,437 → 4,502/s at 1, 4, 16 and 64 clients. The old rule
        // (the first step that gained under 10%) said "saturated by 4 clients (≈2,305/s)" beside 4,502/s at 64.
        var seen = new[] { (1, Rate(54)), (4, Rate(2_305)), (16, Rate(2_437)), (64, Rate(4_502)) };
        Assert.Equal(64, ScaleScenario.Saturation(seen).Clients);
        var flat = new[] { (1, Rate(1_000)), (4, Rate(3_800)), (16, Rate(4_300)), (64, Rate(4_500)) };
        Assert.Equal(16, ScaleScenario.Saturation(flat).Clients);
    }

    [Fact]
    public void A_majoritys_lead_before_the_heal_is_counted_in_blocks_at_todays_difficulty_not_the_chains_average()
    {
        // A network a few minutes old: 70 blocks at the easy start, then difficulty 256 times that.
        const uint Easy = 0x1f00ffff, Hard = 0x1e00ffff;
        static ChainInfo Chain(int easy, int hard) => new()
        {
            Height = (uint)(easy + hard),
            CumulativeWork = ByteString.CopyFrom((Target.Work(Easy) * easy + Target.Work(Hard) * hard).ToByteArray(isUnsigned: true, isBigEndian: true)),
        };
        var majority = Chain(70, 8);
        var minority = Chain(70, 6);

        // Two blocks found now: not the three the experiment waits for before it heals.
        Assert.Equal(2.0, PartitionScenario.BlocksAhead(majority, minority, Hard), 3);
        Assert.True(PartitionScenario.BlocksAhead(majority, minority, Hard) < PartitionScenario.LeadBlocks);
        // The rule it replaces counted in the chain's average block (a ninth of one found now) and
        // called the same lead 19 blocks: it healed, and the minority won with its next block.
        var average = new BigInteger(majority.CumulativeWork.Span, isUnsigned: true, isBigEndian: true) / majority.Height;
        Assert.Equal(18.9, (double)(Target.Work(Hard) * 2) / (double)average, 1);
    }

    [Fact]
    public void The_stale_rate_model_is_decker_and_wattenhofers_exponential_in_propagation_over_interval()
    {
        // Two of three equal miners, 112 ms to reach every node, a block every 0.25 s: 1 − e^(−(2/3)(0.112/0.25)) = 25.8%.
        Assert.Equal(0.258, ForksScenario.ModelStaleRate(0.112, 0.25, 2 / 3.0), 3);
        Assert.Equal(0, ForksScenario.ModelStaleRate(0, 1, 2 / 3.0));
        // Bitcoin's figures as Decker and Wattenhofer measured them: ~12.6 s to reach most nodes, 600 s blocks, all others mining: ≈ 2%.
        Assert.InRange(ForksScenario.ModelStaleRate(12.6, 600, 1), 0.02, 0.022);
    }
}
