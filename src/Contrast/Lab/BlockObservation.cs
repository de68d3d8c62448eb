using LedgerContrast.Protos.Chain.V1;

namespace LedgerContrast.Contrast.Lab;

/// <summary>A block of the active chain, its size in bytes, and when each node stored it (Unix ms; nodes on one machine share a clock).</summary>
public sealed record BlockArrival(string Hash, uint Height, IReadOnlyList<ulong> ReceivedMs, int Size = 0)
{
    /// <summary>From the first node that had it (its miner) to the last: the block's propagation to all.</summary>
    public double ToAllMs => ReceivedMs.Max() - (double)ReceivedMs.Min();

    /// <summary>Each other node's delay behind the first.</summary>
    public IEnumerable<double> PerNodeMs => ReceivedMs.Select(r => r - (double)ReceivedMs.Min()).OrderBy(d => d).Skip(1);
}

/// <summary>A block some node holds that is not on the active chain: mined, then orphaned.</summary>
public sealed record StaleBlock(string Hash, uint Height);

/// <summary>A fork tip off the active chain and how many blocks its branch holds.</summary>
public sealed record StaleBranch(string TipHash, uint TipHeight, uint Length);

/// <summary>What the nodes say about blocks, read through the public API: arrivals for propagation, fork tips for stale blocks.</summary>
public static class BlockObservation
{
    /// <summary>The active chain's blocks at heights (<paramref name="after"/>, <paramref name="upTo"/>], with each node's arrival time.</summary>
    public static async Task<List<BlockArrival>> ArrivalsAsync(IReadOnlyList<LabNode> nodes, uint after, uint upTo)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var arrivals = new List<BlockArrival>();
        for (var height = after + 1; height <= upTo; height++)
        {
            var block = await nodes[0].Api.GetBlockAsync(new GetBlockRequest { Height = height }, deadline: LabNode.Deadline()).ConfigureAwait(false);
            var received = new List<ulong>(nodes.Count);
            foreach (var node in nodes)
            {
                var seen = await node.Api.GetBlockAsync(new GetBlockRequest { Hash = block.Hash }, deadline: LabNode.Deadline()).ConfigureAwait(false);
                if (seen.ReceivedMs > 0)
                {
                    received.Add(seen.ReceivedMs);
                }
            }
            if (received.Count == nodes.Count)
            {
                arrivals.Add(new BlockArrival(Convert.ToHexStringLower(block.Hash.Span), height, received, Shared.Chain.ChainProto.FromProto(block.Block).Size));
            }
        }
        return arrivals;
    }

    /// <summary>
    /// Every stale block any node holds, walked back from each node's fork tips to the active
    /// chain, and the longest stale branch. Every block here was mined on its own miner's tip,
    /// so the longest stale branch is also the deepest reorganisation a node went through.
    /// </summary>
    public static async Task<(List<StaleBlock> Blocks, List<StaleBranch> Branches)> StaleAsync(IReadOnlyList<LabNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var stale = new Dictionary<string, StaleBlock>();
        var branches = new Dictionary<string, StaleBranch>();
        foreach (var node in nodes)
        {
            var tips = await node.Api.GetChainTipsAsync(new GetChainTipsRequest(), deadline: LabNode.Deadline()).ConfigureAwait(false);
            foreach (var tip in tips.Tips.Where(t => t.Status == ChainTip.Types.Status.ValidFork))
            {
                branches[Convert.ToHexStringLower(tip.Hash.Span)] = new StaleBranch(Convert.ToHexStringLower(tip.Hash.Span), tip.Height, tip.BranchLength);
                var hash = tip.Hash;
                while (true)
                {
                    var block = await node.Api.GetBlockAsync(new GetBlockRequest { Hash = hash }, deadline: LabNode.Deadline()).ConfigureAwait(false);
                    if (block.Confirmations > 0 || block.Height == 0)
                    {
                        break;
                    }
                    var hex = Convert.ToHexStringLower(block.Hash.Span);
                    if (!stale.TryAdd(hex, new StaleBlock(hex, block.Height)))
                    {
                        break; // the rest of this branch is known already
                    }
                    hash = block.Block.Header.PreviousHash;
                }
            }
        }
        return ([.. stale.Values], [.. branches.Values]);
    }
}
