using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using BlockHeader = LedgerContrast.Shared.Chain.BlockHeader;

namespace LedgerContrast.ChainNode.Tests.Network;

/// <summary>
/// What a header sync's branch costs in memory, measured as the heap it keeps alive — alone: a
/// test running beside it would move the heap too (its collection runs on its own).
/// </summary>
[Collection(nameof(HeaderMemoryTests))]
public class HeaderMemoryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>What <see cref="HeaderBranch.BytesPerHeader"/> charges covers the memory a header of a branch keeps alive.</summary>
    [Fact]
    public void A_branch_header_keeps_no_more_memory_alive_than_the_bytes_it_is_charged()
    {
        using var node = new TestNode();
        var parent = node.Tip;
        var wire = new List<Protos.Chain.V1.BlockHeader>();
        var previous = parent.Hash;
        for (var i = 0; i < 10_000; i++)
        {
            var header = NetworkBlocks.Mine(new BlockHeader(BlockHeader.CurrentVersion, previous, Hash256.Parse(new string('a', 64)), parent.Header.TimeMs + (ulong)(i + 1) * 100, parent.Header.Bits, 0));
            wire.Add(header.ToProto());
            previous = header.Hash;
        }
        var budget = new HeaderBudget(long.MaxValue, long.MaxValue);
        using var branch = new HeaderBranch(budget);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        ExtendFromWire(node, branch, wire); // decoded as a sync decodes a reply; the reply's list is garbage after
        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;

        Assert.Equal(wire.Count, branch.Headers.Count);
        var perHeader = retained / wire.Count;
        output.WriteLine($"{perHeader} bytes kept alive per header ({wire.Count:N0} headers), {HeaderBranch.BytesPerHeader} charged");
        Assert.True(perHeader <= HeaderBranch.BytesPerHeader, $"{perHeader} bytes kept alive per header, {HeaderBranch.BytesPerHeader} charged");
        Assert.Equal(wire.Count * HeaderBranch.BytesPerHeader, budget.UsedBytes);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ExtendFromWire(TestNode node, HeaderBranch branch, List<Protos.Chain.V1.BlockHeader> wire)
    {
        foreach (var reply in wire.Chunk(HeadersMessages.MaxHeadersPerReply))
        {
            var (outcome, _) = node.Engine.ExtendHeaders(branch, [.. reply.Select(ChainProto.FromProto)]);
            Assert.Equal(HeaderVerdict.Extended, outcome.Verdict);
        }
    }

}

[CollectionDefinition(nameof(HeaderMemoryTests), DisableParallelization = true)]
public sealed class HeaderMemoryTestsRunAlone;
