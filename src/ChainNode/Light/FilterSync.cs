using Grpc.Core;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Filters;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Rpc;
using Block = LedgerContrast.Shared.Chain.Block;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;

namespace LedgerContrast.ChainNode.Light;

/// <summary>A block the light client checked itself: its body matches its header in the client's own chain.</summary>
public sealed record VerifiedBlock(BlockIndexEntry Header, Block Block);

/// <summary>
/// What the filter-header comparison found: the agreed chain; any node whose filter headers were
/// shown to be false (with the height); and nodes on another chain than the client's most-work
/// one, which are not asked (behind, or on a branch it left — not lies).
/// </summary>
public sealed record FilterHeaderVerdict(IReadOnlyList<Hash256> Agreed, IReadOnlyDictionary<string, string> Liars, IReadOnlyList<string> Honest, IReadOnlyDictionary<string, string> Elsewhere);

/// <summary>A node whose filter headers are for other blocks than the client's chain: not on its most-work chain.</summary>
public sealed class OtherChainException(string message) : Exception(message);

/// <summary>
/// The compact-filter half of a light client (PROTOCOL.md §9): it asks every node for the filter
/// headers of its own header chain, and where they disagree it fetches that block with what its
/// inputs spent, checks the body against its header (merkle root) and what was spent against the
/// inputs' signatures (which commit to it, §3), computes the filter itself, and names the node
/// whose header it does not give. It then reads each filter from a node that was not caught,
/// checks it against the agreed header, and fetches only the blocks whose filter matches its keys.
/// </summary>
public static class FilterSync
{
    public static async Task<FilterHeaderVerdict> AgreeAsync(LightHeaders headers, IReadOnlyList<LightSource> nodes, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(nodes);
        var chain = headers.Chain;
        var claims = new Dictionary<string, Hash256[]>();
        var liars = new Dictionary<string, string>();
        var elsewhere = new Dictionary<string, string>();
        // Filter headers are a hash chain: two nodes that give the same last one give the same chain.
        // The whole chain comes from the first node that gives one; the others are asked for the
        // last only, and for all of theirs only when it differs (as BIP-157 compares checkpoints).
        Hash256[]? whole = null;
        foreach (var node in nodes)
        {
            try
            {
                if (whole is not null && chain.Count > 0
                    && (await FilterHeadersAsync(node, chain, (uint)chain.Count - 1, cancellation).ConfigureAwait(false))[^1] == whole[^1])
                {
                    claims[node.Name] = whole;
                    continue;
                }
                claims[node.Name] = await FilterHeadersAsync(node, chain, 0, cancellation).ConfigureAwait(false);
                whole ??= claims[node.Name];
            }
            catch (RpcException ex)
            {
                liars[node.Name] = $"no filter headers ({RpcErrors.Describe(ex).Reason})";
            }
            catch (InvalidDataException ex)
            {
                liars[node.Name] = ex.Message;
            }
            catch (OtherChainException ex)
            {
                elsewhere[node.Name] = ex.Message;
            }
        }
        if (claims.Count == 0 && elsewhere.Count > 0)
        {
            throw new OtherChainException($"no node asked is on the client's most-work chain ({string.Join("; ", elsewhere.Select(e => $"{e.Key}: {e.Value}"))})");
        }
        var agreed = new Hash256[chain.Count];
        var previous = Hash256.Zero;
        for (var height = 0; height < chain.Count; height++)
        {
            var standing = claims.Where(c => !liars.ContainsKey(c.Key)).ToList();
            if (standing.Count == 0)
            {
                throw new InvalidDataException($"No node gave filter headers that hold at height {height}.");
            }
            var distinct = standing.Select(c => c.Value[height]).Distinct().ToList();
            if (distinct.Count > 1)
            {
                // They disagree: the block itself says who is right.
                var truth = BlockFilter.NextHeader((await ComputeFilterAsync(headers, chain[height], standing.Select(c => nodes.First(n => n.Name == c.Key)).ToList(), cancellation).ConfigureAwait(false)).Hash, previous);
                foreach (var (name, claimed) in standing.Where(c => c.Value[height] != truth))
                {
                    liars[name] = $"its filter header at height {height} is not the one block {chain[height].Hash} gives";
                }
                if (!standing.Any(c => c.Value[height] == truth))
                {
                    throw new InvalidDataException($"Every node's filter header at height {height} is false.");
                }
                distinct = [truth];
            }
            agreed[height] = previous = distinct[0];
        }
        return new FilterHeaderVerdict(agreed, liars, [.. claims.Keys.Where(k => !liars.ContainsKey(k))], elsewhere);
    }

    /// <summary>
    /// The blocks from <paramref name="fromHeight"/> whose filter matches any of <paramref name="keys"/>,
    /// each checked against the client's header chain. Filters come from <paramref name="node"/> and
    /// must hash onto the agreed filter headers; a false one is an <see cref="InvalidDataException"/>, and a
    /// filter for another block than the client's at a height (the node's chain moved) an <see cref="OtherChainException"/>.
    /// </summary>
    public static async Task<(List<VerifiedBlock> Matches, long FilterBytes)> MatchAsync(LightHeaders headers, IReadOnlyList<Hash256> agreed, LightSource node, uint fromHeight,
        IReadOnlyList<byte[]> keys, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(agreed);
        ArgumentNullException.ThrowIfNull(node);
        var chain = headers.Chain;
        var matches = new List<VerifiedBlock>();
        var bytes = 0L;
        for (var start = fromHeight; start < chain.Count;)
        {
            // Only as far as the client's chain goes: the node's may be longer by blocks found since its headers were read.
            var count = (uint)Math.Min(Api.NodeGrpcService.MaxFiltersPerReply, chain.Count - start);
            var reply = await node.Api.GetFiltersAsync(new GetFiltersRequest { StartHeight = start, Count = count }, deadline: Deadline(), cancellationToken: cancellation).ConfigureAwait(false);
            if (reply.Filters.Count == 0)
            {
                // Its chain is shorter now than the one whose filter headers it agreed: it moved.
                throw new OtherChainException($"{node.Name} has no block at height {start} any more");
            }
            foreach (var served in reply.Filters)
            {
                var height = served.Height;
                if (height != start || height >= chain.Count || reply.Filters.Count > count)
                {
                    throw new InvalidDataException($"{node.Name} gave a filter for height {height} where {count} from height {start} were asked.");
                }
                if (new Hash256(served.BlockHash.Span) != chain[(int)height].Hash)
                {
                    // Filters are served from the node's active chain, which may have left the client's since they agreed (a tip replaced): no lie.
                    throw new OtherChainException($"{node.Name} moved to another block at height {height} during the sync");
                }
                var filter = BlockFilter.Decode(chain[(int)height].Hash, served.Filter.ToByteArray());
                var previous = height == 0 ? Hash256.Zero : agreed[(int)height - 1];
                if (BlockFilter.NextHeader(filter.Hash, previous) != agreed[(int)height])
                {
                    throw new InvalidDataException($"{node.Name} gave a filter at height {height} that is not the one its filter headers commit to.");
                }
                bytes += served.Filter.Length;
                if (filter.MatchesAny(keys))
                {
                    matches.Add((await FetchCheckedAsync(headers, chain[(int)height], node, withSpent: false, cancellation).ConfigureAwait(false)).Block);
                }
                start++;
            }
        }
        return (matches, bytes);
    }

    /// <summary>The node's filter headers of the client's chain from <paramref name="from"/> to its tip (heights below it left unset).</summary>
    private static async Task<Hash256[]> FilterHeadersAsync(LightSource node, IReadOnlyList<BlockIndexEntry> chain, uint from, CancellationToken cancellation)
    {
        var claimed = new Hash256[chain.Count];
        for (var start = from; start < chain.Count;)
        {
            var count = (uint)Math.Min(Api.NodeGrpcService.MaxFilterHeadersPerReply, chain.Count - start);
            var reply = await node.Api.GetFilterHeadersAsync(new GetFilterHeadersRequest { StartHeight = start, Count = count }, deadline: Deadline(), cancellationToken: cancellation).ConfigureAwait(false);
            if (reply.FilterHeaders.Count != reply.BlockHashes.Count)
            {
                throw new InvalidDataException($"it gave {reply.FilterHeaders.Count} filter headers for {reply.BlockHashes.Count} blocks");
            }
            if (reply.FilterHeaders.Count == 0)
            {
                throw new OtherChainException($"behind: it has no block at height {start}");
            }
            for (var i = 0; i < reply.FilterHeaders.Count && start < chain.Count; i++, start++)
            {
                if (new Hash256(reply.BlockHashes[i].Span) != chain[(int)start].Hash)
                {
                    throw new OtherChainException($"at height {start} it is on another chain than the most-work one");
                }
                claimed[start] = ChainProto.HashFromProto(reply.FilterHeaders[i], "filter header");
            }
        }
        return claimed;
    }

    /// <summary>The block's true filter, computed here from a body and spent outputs that were checked: asks each node in turn until one gives a block that holds.</summary>
    private static async Task<BlockFilter> ComputeFilterAsync(LightHeaders headers, BlockIndexEntry entry, IReadOnlyList<LightSource> nodes, CancellationToken cancellation)
    {
        foreach (var node in nodes)
        {
            try
            {
                var (verified, spent) = await FetchCheckedAsync(headers, entry, node, withSpent: true, cancellation).ConfigureAwait(false);
                return CompactFilters.Of(verified.Block, spent!);
            }
            catch (Exception ex) when (ex is RpcException or InvalidDataException or ConsensusException or FormatException)
            {
                // This node gave no block that holds: ask the next.
            }
        }
        throw new InvalidDataException($"No node gave block {entry.Hash} with spent outputs that hold.");
    }

    /// <summary>A block from <paramref name="node"/>, checked against the client's header, and (with <paramref name="withSpent"/>) what its inputs spent, checked against their signatures.</summary>
    private static async Task<(VerifiedBlock Block, List<UtxoEntry>? Spent)> FetchCheckedAsync(LightHeaders headers, BlockIndexEntry entry, LightSource node, bool withSpent, CancellationToken cancellation)
    {
        var reply = await node.Api.GetBlockAsync(new GetBlockRequest { Hash = entry.Hash.ToByteString(), WithSpentOutputs = withSpent }, deadline: Deadline(), cancellationToken: cancellation).ConfigureAwait(false);
        var block = ChainProto.FromProto(reply.Block);
        if (block.Hash != entry.Hash || block.Transactions.Count == 0 || block.ComputeMerkleRoot() != entry.Header.MerkleRoot)
        {
            throw new InvalidDataException($"{node.Name} gave a body for block {entry.Hash} that its header does not commit to.");
        }
        if (!withSpent)
        {
            return (new VerifiedBlock(entry, block), null);
        }
        var spentOutputs = reply.SpentOutputs.Select(o => new TxOutput(Shared.Money.Amount.FromMinorUnits(o.Amount), o.PublicKey.ToByteArray())).ToList();
        var spent = new List<UtxoEntry>();
        var next = 0;
        foreach (var tx in block.Transactions.Skip(1))
        {
            if (next + tx.Inputs.Count > spentOutputs.Count)
            {
                throw new InvalidDataException($"{node.Name} gave fewer spent outputs than block {entry.Hash} has inputs.");
            }
            var these = spentOutputs.GetRange(next, tx.Inputs.Count);
            TransactionRules.CheckSignatures(tx, these, headers.NetworkId); // each signature commits to what its input spent
            spent.AddRange(these.Select(o => UtxoEntry.From(o, 0, coinbase: false)));
            next += tx.Inputs.Count;
        }
        if (next != spentOutputs.Count)
        {
            throw new InvalidDataException($"{node.Name} gave more spent outputs than block {entry.Hash} has inputs.");
        }
        return (new VerifiedBlock(entry, block), spent);
    }

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(30);
}
