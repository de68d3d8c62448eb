using LedgerContrast.Contrast.Scenarios;
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
    public void The_stale_rate_model_is_decker_and_wattenhofers_exponential_in_propagation_over_interval()
    {
        // Two of three equal miners, 112 ms to reach every node, a block every 0.25 s: 1 − e^(−(2/3)(0.112/0.25)) = 25.8%.
        Assert.Equal(0.258, ForksScenario.ModelStaleRate(0.112, 0.25, 2 / 3.0), 3);
        Assert.Equal(0, ForksScenario.ModelStaleRate(0, 1, 2 / 3.0));
        // Bitcoin's figures as Decker and Wattenhofer measured them: ~12.6 s to reach most nodes, 600 s blocks, all others mining: ≈ 2%.
        Assert.InRange(ForksScenario.ModelStaleRate(12.6, 600, 1), 0.02, 0.022);
    }
}
