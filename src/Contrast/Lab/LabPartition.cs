using LedgerContrast.Contrast.Emulation;
using LedgerContrast.Shared.Cli;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// How the lab cuts two groups apart and heals them. On loopback the nodes are asked to (remove
/// the other side's peers both ways: a simulation); in an emulated network the switch drops every
/// packet between the two sides and the nodes are not told — they find out as machines do, by
/// calls that time out.
/// </summary>
/// <param name="Emulation">The emulated network, or null on loopback.</param>
/// <param name="Members">Each lab node's member name in the emulated network where it differs from its own (a lab chain's nodes).</param>
public sealed record LabPartition(NetworkFile.NetworkEmulation? Emulation, IReadOnlyDictionary<string, string>? Members = null)
{
    public static readonly LabPartition Loopback = new((NetworkFile.NetworkEmulation?)null);

    public bool DropsPackets => Emulation is not null;

    /// <summary>For the lab's steps: how the two sides are kept apart.</summary>
    public string How => DropsPackets ? "the switch drops every packet between them; the nodes are not told" : "remove-peer both ways";

    /// <summary>For the lab's steps: how the sides are joined again.</summary>
    public string HealHow => DropsPackets ? "the switch forwards between the sides again" : "add-peer both ways";

    /// <summary>The partition of a network.json's nodes: by packets when it is emulated and <paramref name="emulate"/> asks for it.</summary>
    public static LabPartition Of(NetworkFile file, bool emulate)
    {
        ArgumentNullException.ThrowIfNull(file);
        return !emulate ? Loopback
            : new(file.Emulation ?? throw new CliException("NOT_EMULATED", "--emulate needs an emulated network: start it with run-network.ps1 -Emulate (Linux, root), and run contrast in its clients namespace."));
    }

    public Task CutAsync(IReadOnlyList<LabNode> sideA, IReadOnlyList<LabNode> sideB) =>
        Emulation is { } emulation
            ? Task.Run(() => EmulatedNetwork.Cut(emulation, Names(sideA), Names(sideB)))
            : LabNetwork.SetLinksAsync(sideA, sideB, connect: false);

    public Task HealAsync(IReadOnlyList<LabNode> sideA, IReadOnlyList<LabNode> sideB) =>
        Emulation is { } emulation
            ? Task.Run(() => EmulatedNetwork.Heal(emulation))
            : LabNetwork.SetLinksAsync(sideA, sideB, connect: true);

    private List<string> Names(IEnumerable<LabNode> nodes) => [.. nodes.Select(n => Members?.GetValueOrDefault(n.Name) ?? n.Name)];
}
