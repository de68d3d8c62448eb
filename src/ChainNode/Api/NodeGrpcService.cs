using Google.Protobuf;
using Grpc.Core;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Hosting;
using LedgerContrast.ChainNode.Mining;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Addresses;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Rpc;
using ProtoStatus = LedgerContrast.Protos.Chain.V1.TransactionStatus;

namespace LedgerContrast.ChainNode.Api;

/// <summary>The node's API for wallets, the CLI and the contrast lab.</summary>
public sealed class NodeGrpcService(NodeEngine engine, PeerManager peers, Miner miner, AdminCookie admin) : NodeService.NodeServiceBase
{
    public const uint MaxGenerate = 10_000;

    public override Task<ChainInfo> GetInfo(GetInfoRequest request, ServerCallContext context)
    {
        var (tip, mempool) = engine.Read(n => (n.Chain.Tip, n.Pool.Count));
        return Task.FromResult(new ChainInfo
        {
            Network = engine.Parameters.Network,
            NetworkId = engine.NetworkId.ToByteString(),
            Height = tip.Height,
            TipHash = tip.Hash.ToByteString(),
            CumulativeWork = ByteString.CopyFrom(tip.ChainWork.ToByteArray(isUnsigned: true, isBigEndian: true)),
            Difficulty = Difficulty.ToDifficulty(tip.Header.Bits, engine.Parameters),
            EstimatedHashRate = EstimateHashRate(),
            MempoolSize = (uint)mempool,
            PeerCount = (uint)peers.Peers.Count,
            Mining = miner.IsMining,
            BlockIntervalMs = (ulong)engine.Parameters.BlockInterval.TotalMilliseconds,
            MaxBlockSize = (uint)engine.Parameters.MaxBlockSize,
            MaxBlockTransactions = (uint)engine.Parameters.MaxBlockTransactions,
        });
    }

    /// <summary>The headers a peer gets (PROTOCOL.md §9), without a session: a light client checks them itself.</summary>
    public override Task<HeadersReply> GetHeaders(HeadersRequest request, ServerCallContext context) => Task.FromResult(HeadersMessages.Answer(engine, request));

    public override Task<GetChainTipsReply> GetChainTips(GetChainTipsRequest request, ServerCallContext context)
    {
        var reply = new GetChainTipsReply();
        foreach (var tip in engine.Read(n => n.Chain.ChainTips()))
        {
            reply.Tips.Add(new ChainTip
            {
                Hash = tip.Hash.ToByteString(),
                Height = tip.Height,
                BranchLength = tip.BranchLength,
                Status = tip.Status switch { "active" => ChainTip.Types.Status.Active, "invalid" => ChainTip.Types.Status.Invalid, _ => ChainTip.Types.Status.ValidFork },
            });
        }
        return Task.FromResult(reply);
    }

    public override Task<GetBlockReply> GetBlock(GetBlockRequest request, ServerCallContext context)
    {
        (Shared.Chain.Block, BlockIndexEntry)? ByHash(Hash256? hash) => hash is not { } h ? null : engine.Read(n =>
        {
            var entry = n.Chain.Find(h);
            if (entry is { Status: BlockStatus.Invalid })
            {
                // Its header is kept so the hash is refused at once; its body was deleted.
                throw new NodeRefusal(NodeReasons.BlockInvalid, $"Block {h} was refused as invalid ({(entry.InvalidReason.Length > 0 ? entry.InvalidReason : "BLOCK_INVALID_PARENT")}); its body is not kept.");
            }
            return entry is null ? ((Shared.Chain.Block, BlockIndexEntry)?)null : (n.Chain.LoadBlock(entry.Hash)!, entry);
        });
        var found = request.SelectorCase switch
        {
            GetBlockRequest.SelectorOneofCase.Hash => ByHash(ChainProto.HashFromProto(request.Hash, "block hash")),
            GetBlockRequest.SelectorOneofCase.Height => engine.FindBlockAtHeight(request.Height),
            GetBlockRequest.SelectorOneofCase.HashPrefix => ByHash(Unique(engine.BlockHashesStartingWith(Prefix(request.HashPrefix), 2), request.HashPrefix, "block hash")),
            _ => throw new NodeRefusal(NodeReasons.InvalidArgument, "Give a block hash, a hash prefix or a height."),
        };
        if (found is not { } pair)
        {
            throw new NodeRefusal(NodeReasons.BlockNotFound, "No such block.");
        }
        var (tipHeight, active, spent) = engine.Read(n => (n.Chain.Tip.Height, n.Chain.IsOnActiveChain(pair.Item2),
            request.WithSpentOutputs && n.Chain.IsOnActiveChain(pair.Item2) ? n.Chain.SpentOutputs(pair.Item2) : []));
        var reply = new GetBlockReply
        {
            Block = pair.Item1.ToProto(),
            Hash = pair.Item2.Hash.ToByteString(),
            Height = pair.Item2.Height,
            Confirmations = active ? tipHeight - pair.Item2.Height + 1 : 0,
            ReceivedMs = pair.Item2.ReceivedMs,
        };
        reply.SpentOutputs.AddRange(spent.Select(u => new Protos.Chain.V1.TxOutput { Amount = u.Amount.MinorUnits, PublicKey = ByteString.CopyFrom(u.PublicKey) }));
        return Task.FromResult(reply);
    }

    public override Task<GetTransactionReply> GetTransaction(GetTransactionRequest request, ServerCallContext context)
    {
        var txid = request.Txid.IsEmpty && request.TxidPrefix.Length > 0
            ? Unique(engine.TxidsStartingWith(Prefix(request.TxidPrefix), 2), request.TxidPrefix, "txid") ?? Hash256.Zero
            : ChainProto.HashFromProto(request.Txid, "txid");
        var status = engine.StatusOf(txid);
        var reply = new GetTransactionReply { Status = ToProto(status), Txid = txid.ToByteString() };
        if (engine.FindTransaction(txid) is { } tx)
        {
            reply.Transaction = tx.ToProto();
        }
        return Task.FromResult(reply);
    }

    public override Task<MerkleProofReply> GetMerkleProof(GetMerkleProofRequest request, ServerCallContext context)
    {
        var txid = ChainProto.HashFromProto(request.Txid, "txid");
        var (tx, block, proof) = engine.ProveInclusion(txid)
            ?? throw new NodeRefusal(NodeReasons.TxNotConfirmed, $"Transaction {txid} is in no block of this node's active chain.");
        var reply = new MerkleProofReply
        {
            Transaction = tx.ToProto(),
            BlockHash = block.Hash.ToByteString(),
            Height = block.Height,
            Header = block.Header.ToProto(),
            Index = proof.Index,
            LeafCount = proof.LeafCount,
        };
        reply.Branch.AddRange(proof.Branch.Select(h => h.ToByteString()));
        return Task.FromResult(reply);
    }

    /// <summary>At most this many filters per GetFilters answer, and filter headers per GetFilterHeaders (BIP-157's bounds).</summary>
    public const int MaxFiltersPerReply = 1_000, MaxFilterHeadersPerReply = 2_000;

    public override Task<GetFiltersReply> GetFilters(GetFiltersRequest request, ServerCallContext context)
    {
        var reply = new GetFiltersReply();
        foreach (var (block, filter) in engine.Filters(request.StartHeight, Bounded(request.Count, MaxFiltersPerReply)))
        {
            reply.Filters.Add(new CompactFilter { BlockHash = block.Hash.ToByteString(), Height = block.Height, Filter = ByteString.CopyFrom(filter.Encoded) });
        }
        return Task.FromResult(reply);
    }

    public override Task<GetFilterHeadersReply> GetFilterHeaders(GetFilterHeadersRequest request, ServerCallContext context)
    {
        var (previous, blocks) = engine.FilterHeaders(request.StartHeight, Bounded(request.Count, MaxFilterHeadersPerReply));
        var reply = new GetFilterHeadersReply { PreviousFilterHeader = previous.ToByteString() };
        reply.FilterHeaders.AddRange(blocks.Select(b => b.FilterHeader!.Value.ToByteString()));
        reply.BlockHashes.AddRange(blocks.Select(b => b.Hash.ToByteString()));
        return Task.FromResult(reply);
    }

    private static int Bounded(uint count, int max) => count == 0 || count > max ? max : (int)count;

    public override Task<BalanceReply> GetBalance(AddressRequest request, ServerCallContext context)
    {
        var balance = engine.BalanceOf(ParseAddress(request.Address));
        return Task.FromResult(new BalanceReply { Confirmed = balance.Confirmed.MinorUnits, Unconfirmed = balance.Unconfirmed.MinorUnits, Immature = balance.Immature.MinorUnits });
    }

    public override Task<UtxosReply> ListUtxos(AddressRequest request, ServerCallContext context)
    {
        var key = ParseAddress(request.Address);
        var reply = new UtxosReply();
        foreach (var coin in engine.CoinsOf(key))
        {
            reply.Utxos.Add(new Utxo
            {
                OutPoint = coin.OutPoint.ToProto(),
                Amount = coin.Amount.MinorUnits,
                Height = coin.Height,
                Coinbase = coin.Coinbase,
                Mature = coin.Mature,
                SpentInMempool = coin.SpentInMempool,
                PublicKey = ByteString.CopyFrom(key),
            });
        }
        return Task.FromResult(reply);
    }

    public override Task<SubmitTransactionReply> SubmitTransaction(SubmitTransactionRequest request, ServerCallContext context)
    {
        if (request.Transaction is null)
        {
            throw new NodeRefusal(NodeReasons.InvalidArgument, "No transaction given.");
        }
        Shared.Chain.Transaction tx;
        try
        {
            tx = ChainProto.FromProto(request.Transaction);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new ConsensusException(RejectReasons.TxMalformed, ex.Message);
        }
        return Task.FromResult(new SubmitTransactionReply { Txid = engine.SubmitTransaction(tx, local: true).ToByteString() });
    }

    public override Task<GetMempoolReply> GetMempool(GetMempoolRequest request, ServerCallContext context)
    {
        var reply = new GetMempoolReply();
        reply.Entries.AddRange(engine.MempoolEntries().Select(e => new MempoolEntry
        {
            Txid = e.Txid.ToByteString(),
            Fee = e.Fee.MinorUnits,
            Size = (uint)e.Size,
            ReceivedMs = e.ReceivedMs,
        }));
        return Task.FromResult(reply);
    }

    public override Task<ListPeersReply> ListPeers(ListPeersRequest request, ServerCallContext context)
    {
        var reply = new ListPeersReply();
        reply.Peers.AddRange(peers.Peers.Select(p => new PeerInfo
        {
            Address = p.Address.ToString(),
            NodeId = p.NodeId,
            Outbound = p.Outbound,
            BestHeight = p.BestHeight,
            ConnectedMs = p.ConnectedMs,
            BytesSent = (ulong)p.BytesSent,
            BytesReceived = (ulong)p.BytesReceived,
        }));
        return Task.FromResult(reply);
    }

    // Admin calls: they need the node's cookie (Hosting/AdminCookie.cs).

    public override async Task<PeerReply> AddPeer(PeerRequest request, ServerCallContext context)
    {
        admin.Require(context);
        var (peer, detail) = await peers.AddPeerAsync(request.Address).ConfigureAwait(false);
        return new PeerReply { Connected = peer is not null, Detail = detail };
    }

    public override Task<PeerReply> RemovePeer(PeerRequest request, ServerCallContext context)
    {
        admin.Require(context);
        peers.RemovePeer(request.Address);
        return Task.FromResult(new PeerReply());
    }

    public override Task<SetMiningReply> SetMining(SetMiningRequest request, ServerCallContext context)
    {
        admin.Require(context);
        if (request.Enabled)
        {
            miner.Start(ParseAddress(request.MinerAddress), (int)Math.Clamp(request.Threads == 0 ? 1 : request.Threads, 1, 64));
        }
        else
        {
            miner.Stop();
        }
        return Task.FromResult(new SetMiningReply());
    }

    /// <summary>Anyone may submit a block: a valid one is the chain's gain, an invalid one is refused with its rule's reason.</summary>
    public override async Task<SubmitBlockReply> SubmitBlock(SubmitBlockRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Block is null)
        {
            throw new NodeRefusal(NodeReasons.InvalidArgument, "A block is required.");
        }
        var block = ChainProto.FromProto(request.Block); // FormatException: MALFORMED, by the interceptor
        var outcome = await engine.SubmitBlockAsync(block).ConfigureAwait(false);
        return new SubmitBlockReply
        {
            Outcome = outcome.Acceptance switch
            {
                BlockAcceptance.Accepted => SubmitBlockReply.Types.Outcome.Accepted,
                BlockAcceptance.AlreadyKnown => SubmitBlockReply.Types.Outcome.AlreadyKnown,
                BlockAcceptance.Orphan => SubmitBlockReply.Types.Outcome.Orphan,
            },
            Hash = block.Hash.ToByteString(),
            OnActiveChain = engine.Read(n => n.Chain.Find(block.Hash) is { } entry && n.Chain.IsOnActiveChain(entry)),
        };
    }

    public override async Task<GenerateBlocksReply> GenerateBlocks(GenerateBlocksRequest request, ServerCallContext context)
    {
        admin.Require(context);
        if (request.Count is 0 or > MaxGenerate)
        {
            throw new NodeRefusal(NodeReasons.InvalidArgument, $"Mine between 1 and {MaxGenerate} blocks.");
        }
        var key = ParseAddress(request.Address);
        var hashes = await miner.GenerateAsync((int)request.Count, key, Environment.ProcessorCount, context.CancellationToken).ConfigureAwait(false);
        var reply = new GenerateBlocksReply();
        reply.BlockHashes.AddRange(hashes.Select(h => h.ToByteString()));
        return reply;
    }

    /// <summary>8 to 64 hex characters, lower-cased: shorter would match too much to be meant.</summary>
    private static string Prefix(string text)
    {
        var prefix = text.Trim().ToLowerInvariant();
        return prefix.Length is >= 8 and <= 64 && prefix.All(char.IsAsciiHexDigit)
            ? prefix
            : throw new NodeRefusal(NodeReasons.InvalidArgument, $"'{text}' is not a hash prefix: give 8 to 64 hex characters.");
    }

    /// <summary>The one match, null for none; several are refused with the ones found, as git refuses an ambiguous short hash.</summary>
    private static Hash256? Unique(IReadOnlyList<Hash256> matches, string prefix, string what) => matches.Count switch
    {
        0 => null,
        1 => matches[0],
        _ => throw new NodeRefusal(NodeReasons.AmbiguousPrefix, $"'{prefix}' starts more than one {what} ({string.Join(", ", matches.Select(m => m.ToString()[..16] + "…"))}); give more characters."),
    };

    private byte[] ParseAddress(string text)
    {
        if (!Address.TryParse(text, engine.Parameters.AddressPrefix, out var address, out var error))
        {
            throw new NodeRefusal(NodeReasons.InvalidAddress, error);
        }
        return address.PublicKey.ToArray();
    }

    private double EstimateHashRate()
    {
        // Work of the last blocks over the time they took: what the whole network hashes, not this node.
        return engine.Read(n =>
        {
            var chain = n.Chain.ActiveChain;
            if (chain.Count < 3)
            {
                return 0d;
            }
            var first = chain[Math.Max(1, chain.Count - 21)];
            var tip = chain[^1];
            var seconds = (tip.Header.TimeMs - first.Header.TimeMs) / 1000d;
            return seconds <= 0 ? 0 : (double)(tip.ChainWork - first.ChainWork) / seconds;
        });
    }

    private static ProtoStatus ToProto(Node.TransactionStatus status) => new()
    {
        State = status.State switch
        {
            TransactionState.Pending => ProtoStatus.Types.State.Pending,
            TransactionState.Confirmed => ProtoStatus.Types.State.Confirmed,
            TransactionState.Conflicted => ProtoStatus.Types.State.Conflicted,
            _ => ProtoStatus.Types.State.Unknown,
        },
        BlockHash = status.BlockHash?.ToByteString() ?? ByteString.Empty,
        BlockHeight = status.BlockHeight,
        Confirmations = status.Confirmations,
        ConflictingTxid = status.ConflictingTxid?.ToByteString() ?? ByteString.Empty,
    };
}
