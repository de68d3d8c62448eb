using Google.Protobuf;
using Grpc.Core;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Filters;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Contrast.Lab;

/// <summary>What the lab's dishonest node tells a light client that its real node would not.</summary>
public enum NodeLie
{
    /// <summary>Passes everything on unchanged.</summary>
    None,

    /// <summary>Filters (and their header chain, recomputed to match) that leave the victim's key out: its payments go unseen.</summary>
    HidePayments,

    /// <summary>Filters that put the victim's key in every block, and a payment to it in every block it then asks for.</summary>
    ForgePayment,

    /// <summary>Headers with a wrong target from the middle on.</summary>
    InvalidHeaders,
}

/// <summary>
/// The lab's man in the middle for the hybrid experiment: a real gRPC server in front of a real
/// node (not a mode of the node), answering a light client's calls — headers, filters, filter
/// headers, blocks — with what the node says, except for the one lie it is told to tell. What the
/// light client makes of each lie is the lesson: what it can check, it refuses; what only a second,
/// honest node can reveal, it catches only if it asks one.
/// </summary>
public static class LyingNode
{
    public static Task<LabProxy> StartAsync(string backendUrl, NodeLie lie, byte[] victimKey) =>
        LabProxy.StartAsync(backendUrl, backend => new LyingNodeService(new NodeService.NodeServiceClient(backend), lie, victimKey));

    /// <summary>What the lie does, as a sentence's predicate ("a lying node that …").</summary>
    public static string Describe(NodeLie lie) => lie switch
    {
        NodeLie.ForgePayment => "forges a payment to the wallet (filters match everywhere, blocks carry a payment no block holds)",
        NodeLie.HidePayments => "hides the wallet's payment (filters without its key, their header chain recomputed)",
        NodeLie.InvalidHeaders => "serves headers with a wrong target",
        _ => "passes everything on unchanged",
    };

    private sealed class LyingNodeService(NodeService.NodeServiceClient node, NodeLie lie, byte[] victimKey) : NodeService.NodeServiceBase
    {
        /// <summary>From this height on, InvalidHeaders serves a wrong target.</summary>
        private const uint FirstBadHeader = 10;

        public override async Task<ChainInfo> GetInfo(GetInfoRequest request, ServerCallContext context) => await node.GetInfoAsync(request, cancellationToken: context.CancellationToken);

        public override async Task<HeadersReply> GetHeaders(HeadersRequest request, ServerCallContext context)
        {
            var reply = await node.GetHeadersAsync(request, cancellationToken: context.CancellationToken);
            if (lie == NodeLie.InvalidHeaders && reply.Headers.Count > 0)
            {
                var firstHeight = (await node.GetBlockAsync(new GetBlockRequest { Hash = HashOf(reply.Headers[0]).ToByteString() }, cancellationToken: context.CancellationToken)).Height;
                for (var i = 0; i < reply.Headers.Count; i++)
                {
                    if (firstHeight + i >= FirstBadHeader)
                    {
                        reply.Headers[i].Bits = 0x207ffffe; // a valid target, but not the one the retarget rule gives
                    }
                }
            }
            return reply;
        }

        public override async Task<GetFilterHeadersReply> GetFilterHeaders(GetFilterHeadersRequest request, ServerCallContext context)
        {
            var reply = await node.GetFilterHeadersAsync(request, cancellationToken: context.CancellationToken);
            if (lie is not (NodeLie.HidePayments or NodeLie.ForgePayment) || reply.FilterHeaders.Count == 0)
            {
                return reply;
            }
            var fake = await FakeFiltersAsync(request.StartHeight + (uint)reply.FilterHeaders.Count, context.CancellationToken);
            var lying = new GetFilterHeadersReply { PreviousFilterHeader = request.StartHeight == 0 ? Hash256.Zero.ToByteString() : fake[(int)request.StartHeight - 1].Header.ToByteString() };
            lying.FilterHeaders.AddRange(fake.Skip((int)request.StartHeight).Select(f => f.Header.ToByteString()));
            lying.BlockHashes.AddRange(reply.BlockHashes);
            return lying;
        }

        public override async Task<GetFiltersReply> GetFilters(GetFiltersRequest request, ServerCallContext context)
        {
            var reply = await node.GetFiltersAsync(request, cancellationToken: context.CancellationToken);
            if (lie is not (NodeLie.HidePayments or NodeLie.ForgePayment) || reply.Filters.Count == 0)
            {
                return reply;
            }
            var fake = await FakeFiltersAsync(request.StartHeight + (uint)reply.Filters.Count, context.CancellationToken);
            foreach (var filter in reply.Filters)
            {
                filter.Filter = ByteString.CopyFrom(fake[(int)filter.Height].Filter.Encoded);
            }
            return reply;
        }

        public override async Task<GetBlockReply> GetBlock(GetBlockRequest request, ServerCallContext context)
        {
            var reply = await node.GetBlockAsync(request, cancellationToken: context.CancellationToken);
            if (lie == NodeLie.ForgePayment)
            {
                // A payment to the victim that no block holds: its outputs are whatever the liar likes.
                var forged = new Protos.Chain.V1.Transaction { Version = Shared.Chain.Transaction.CurrentVersion };
                forged.Inputs.Add(new Protos.Chain.V1.TxInput { PreviousOutput = new Protos.Chain.V1.OutPoint { Txid = ByteString.CopyFrom(new byte[32]), Index = 7 }, Signature = ByteString.CopyFrom(new byte[64]) });
                forged.Outputs.Add(new Protos.Chain.V1.TxOutput { Amount = 1_000_00000000, PublicKey = ByteString.CopyFrom(victimKey) });
                reply.Block.Transactions.Add(forged);
            }
            return reply;
        }

        public override async Task<MerkleProofReply> GetMerkleProof(GetMerkleProofRequest request, ServerCallContext context) => await node.GetMerkleProofAsync(request, cancellationToken: context.CancellationToken);

        /// <summary>The lie's filter and filter header per block: a block hash fixes its ancestry, so each is computed once.</summary>
        private readonly System.Collections.Concurrent.ConcurrentDictionary<Hash256, (BlockFilter Filter, Hash256 Header)> _fakes = new();

        /// <summary>The filters (and their header chain) of heights 0 to <paramref name="upTo"/> as the lie has them: recomputed from each block and what it spent, with the victim's key left out or put in.</summary>
        private async Task<List<(BlockFilter Filter, Hash256 Header)>> FakeFiltersAsync(uint upTo, CancellationToken cancellation)
        {
            var victim = Convert.ToHexString(victimKey);
            var fake = new List<(BlockFilter, Hash256)>();
            var previous = Hash256.Zero;
            for (var start = 0u; start < upTo;)
            {
                // The node's block hashes, 2,000 a call, from its filter headers.
                var hashes = (await node.GetFilterHeadersAsync(new GetFilterHeadersRequest { StartHeight = start, Count = Math.Min(2_000, upTo - start) }, cancellationToken: cancellation)).BlockHashes;
                if (hashes.Count == 0)
                {
                    break;
                }
                foreach (var hash in hashes.Select(h => new Hash256(h.Span)))
                {
                    if (!_fakes.TryGetValue(hash, out var entry))
                    {
                        var reply = await node.GetBlockAsync(new GetBlockRequest { Hash = hash.ToByteString(), WithSpentOutputs = true }, cancellationToken: cancellation);
                        var keys = reply.Block.Transactions.SelectMany(t => t.Outputs).Select(o => o.PublicKey.ToByteArray()).Concat(reply.SpentOutputs.Select(o => o.PublicKey.ToByteArray()))
                            .Where(k => lie != NodeLie.HidePayments || Convert.ToHexString(k) != victim).ToList();
                        if (lie == NodeLie.ForgePayment)
                        {
                            keys.Add(victimKey);
                        }
                        var filter = BlockFilter.Build(hash, keys);
                        entry = _fakes[hash] = (filter, BlockFilter.NextHeader(filter.Hash, previous));
                    }
                    previous = entry.Header;
                    fake.Add(entry);
                }
                start += (uint)hashes.Count;
            }
            return fake;
        }

        private static Hash256 HashOf(Protos.Chain.V1.BlockHeader header) => ChainProto.FromProto(header).Hash;
    }
}
