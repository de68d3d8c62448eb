using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Hosting;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Rpc;
using Microsoft.Extensions.Logging;
using Block = LedgerContrast.Shared.Chain.Block;
using Transaction = LedgerContrast.Shared.Chain.Transaction;

namespace LedgerContrast.ChainNode.Network;

/// <summary>
/// The node's peers: dialing (seeds, then addresses learned from peers, with back-off), the
/// handshake, relay by announcement (peers fetch what they lack), locator-based catch-up, and
/// bans. Every call has a deadline and runs on its own task, so one slow or dead peer never
/// stalls the node.
/// </summary>
public sealed partial class PeerManager : IAsyncDisposable
{
    public const uint ProtocolVersion = 1;
    public const int MaxMessageBytes = 8 * 1024 * 1024;
    public const int MaxBlocksPerRequest = 100;
    public const int MaxHashesPerLocatorReply = 500;
    private static readonly TimeSpan s_callDeadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_downloadDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);

    private readonly NodeEngine _engine;
    private readonly NodeOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Peer> _peers = new(StringComparer.Ordinal);
    private readonly HashSet<PeerAddress> _seeds = [];
    private readonly HashSet<PeerAddress> _learned = [];
    private readonly HashSet<PeerAddress> _removed = [];
    private readonly HashSet<PeerAddress> _self = [];
    private readonly Dictionary<PeerAddress, (DateTime NextTry, TimeSpan Backoff)> _backoff = [];
    private readonly ConcurrentDictionary<string, DateTime> _bannedNodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<PeerAddress, DateTime> _bannedAddresses = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _maintenance;

    public PeerManager(NodeEngine engine, NodeOptions options, ILogger logger)
    {
        _engine = engine;
        _options = options;
        _logger = logger;
        foreach (var seed in options.Peers)
        {
            _seeds.Add(PeerAddress.Parse(seed));
        }
        _engine.TipChanged += OnTipChanged;
        _engine.TransactionAccepted += OnTransactionAccepted;
        _engine.DoubleSpendSeen += OnTransactionAccepted;
    }

    public string NodeId { get; } = Guid.NewGuid().ToString("N");
    public PeerAddress? ListenAddress { get; private set; }

    /// <summary>Called once the server listens, so the handshake can advertise where to call back.</summary>
    public void Start(PeerAddress listenAddress)
    {
        ListenAddress = listenAddress;
        _self.Add(listenAddress);
        _maintenance = Task.Run(() => MaintainAsync(_stopping.Token));
    }

    public IReadOnlyList<Peer> Peers
    {
        get
        {
            lock (_lock)
            {
                return [.. _peers.Values];
            }
        }
    }

    public bool IsBanned(string nodeId) => _bannedNodes.TryGetValue(nodeId, out var until) && until > DateTime.UtcNow;

    // ------------------------------------------------------------------ admin

    /// <summary>
    /// Connects now, and keeps reconnecting with back-off; undoes an earlier remove. Returns null
    /// if the first attempt failed (e.g. the other side still refuses us): it is retried.
    /// </summary>
    public async Task<(Peer? Peer, string Detail)> AddPeerAsync(string addressText)
    {
        var address = PeerAddress.Parse(addressText);
        lock (_lock)
        {
            _removed.Remove(address);
            _seeds.Add(address);
            _backoff.Remove(address);
        }
        _bannedAddresses.TryRemove(address, out _);
        var (peer, failure) = await TryConnectAsync(address, _stopping.Token).ConfigureAwait(false);
        return (peer, peer is not null ? $"Connected to {address}." : $"Not connected to {address} yet ({failure}); retrying with back-off.");
    }

    /// <summary>Disconnects and refuses this peer until it is added again: how a partition is made on purpose.</summary>
    public int RemovePeer(string addressText)
    {
        var address = PeerAddress.Parse(addressText);
        List<Peer> dropped;
        lock (_lock)
        {
            _removed.Add(address);
            _seeds.Remove(address);
            _learned.Remove(address);
            dropped = [.. _peers.Values.Where(p => p.Address == address)];
        }
        foreach (var peer in dropped)
        {
            Disconnect(peer, "removed by the admin");
        }
        return dropped.Count;
    }

    // ------------------------------------------------------------------ inbound calls

    public HelloReply OnHandshake(Hello hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        CheckHello(hello);
        if (!PeerAddress.TryParse(hello.ListenAddress, out var address))
        {
            throw new PeerException("NO_LISTEN_ADDRESS", StatusCode.InvalidArgument, "A peer must advertise the HOST:PORT it listens on.");
        }
        lock (_lock)
        {
            if (_removed.Contains(address))
            {
                throw new PeerException("PEER_REMOVED", StatusCode.PermissionDenied, "This node's admin removed you as a peer.");
            }
        }
        var peer = Register(new Peer(hello.NodeId, address, outbound: false));
        peer.BestHeight = hello.BestHeight;
        MaybeSyncFrom(peer, hello);
        return new HelloReply { Node = OurHello() };
    }

    public void OnAnnounce(Inventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var peer = RequirePeer(inventory.FromNodeId);
        if (inventory.BlockHashes.Count + inventory.Txids.Count > 10_000)
        {
            Ban(peer, "announced more than 10,000 items at once");
            return;
        }
        var announced = inventory.BlockHashes.Select(h => ChainProto.HashFromProto(h, "block hash")).ToList();
        NoteHeight(peer, announced);
        var blocks = announced.Where(h => !_engine.HasBlock(h)).ToList();
        var txids = inventory.Txids.Select(h => ChainProto.HashFromProto(h, "txid")).Where(h => !_engine.KnowsTransaction(h)).ToList();
        if (blocks.Count > 0)
        {
            _ = Task.Run(() => FetchBlocksAsync(peer, blocks));
        }
        if (txids.Count > 0)
        {
            _ = Task.Run(() => FetchTransactionsAsync(peer, txids));
        }
    }

    public GetBlocksReply OnGetBlocks(GetBlocksRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reply = new GetBlocksReply();
        var bytes = 0;
        foreach (var raw in request.Hashes.Take(MaxBlocksPerRequest))
        {
            var block = _engine.FindBlock(ChainProto.HashFromProto(raw, "block hash"));
            if (block is null)
            {
                continue;
            }
            bytes += block.Size;
            if (bytes > MaxMessageBytes / 2 && reply.Blocks.Count > 0)
            {
                break;
            }
            reply.Blocks.Add(block.ToProto());
        }
        return reply;
    }

    public GetTransactionsReply OnGetTransactions(GetTransactionsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reply = new GetTransactionsReply();
        foreach (var raw in request.Txids.Take(1_000))
        {
            if (_engine.FindTransaction(ChainProto.HashFromProto(raw, "txid")) is { } tx)
            {
                reply.Transactions.Add(tx.ToProto());
            }
        }
        return reply;
    }

    public LocatorReply OnFindBlocksAfter(LocatorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var max = (int)Math.Clamp(request.MaxHashes == 0 ? MaxHashesPerLocatorReply : request.MaxHashes, 1, MaxHashesPerLocatorReply);
        var reply = new LocatorReply();
        reply.Hashes.AddRange(_engine.BlocksAfter(request.Locator.Take(64).Select(h => ChainProto.HashFromProto(h, "locator hash")), max).Select(h => h.ToByteString()));
        return reply;
    }

    public GetAddressesReply OnGetAddresses()
    {
        var reply = new GetAddressesReply();
        lock (_lock)
        {
            reply.Addresses.AddRange(_peers.Values.Select(p => p.Address.ToString()).Take(100));
        }
        return reply;
    }

    // ------------------------------------------------------------------ relay

    private void OnTipChanged(ChainUpdate update)
    {
        var inventory = new Inventory { FromNodeId = NodeId };
        inventory.BlockHashes.AddRange(update.Connected.Select(b => b.Hash.ToByteString()));
        Broadcast(inventory);
    }

    private void OnTransactionAccepted(Transaction tx)
    {
        var inventory = new Inventory { FromNodeId = NodeId };
        inventory.Txids.Add(tx.Txid.ToByteString());
        Broadcast(inventory);
    }

    private void Broadcast(Inventory inventory)
    {
        foreach (var peer in Peers)
        {
            _ = Task.Run(() => SendAsync(peer, inventory));
        }
    }

    private async Task SendAsync(Peer peer, Inventory inventory)
    {
        try
        {
            await peer.Client.AnnounceAsync(inventory, deadline: Deadline(s_callDeadline), cancellationToken: _stopping.Token).ConfigureAwait(false);
            peer.CallSucceeded();
        }
        catch (RpcException ex)
        {
            var reason = RpcErrors.Describe(ex).Reason;
            if (reason is "NOT_CONNECTED" or "PEER_REMOVED" or "BANNED" || peer.CallFailed() >= 3)
            {
                Disconnect(peer, $"announcements fail ({reason})");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // ------------------------------------------------------------------ fetch and sync

    private async Task FetchBlocksAsync(Peer peer, List<Hash256> hashes)
    {
        try
        {
            var request = new GetBlocksRequest();
            request.Hashes.AddRange(hashes.Take(MaxBlocksPerRequest).Select(h => h.ToByteString()));
            var reply = await peer.Client.GetBlocksAsync(request, deadline: Deadline(s_downloadDeadline), cancellationToken: _stopping.Token).ConfigureAwait(false);
            var needSync = false;
            foreach (var proto in reply.Blocks)
            {
                var outcome = await SubmitFromPeerAsync(peer, proto).ConfigureAwait(false);
                needSync |= outcome?.Acceptance == BlockAcceptance.Orphan;
            }
            NoteHeight(peer, hashes);
            if (needSync)
            {
                await SyncFromAsync(peer).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            LogFetchFailed(_logger, peer.Address, ex.Message);
        }
    }

    /// <summary>A peer that announces a block has it: its best height is at least that block's.</summary>
    private void NoteHeight(Peer peer, IEnumerable<Hash256> blocks)
    {
        var height = _engine.Read(n => blocks.Select(n.Chain.Find).Where(e => e is not null).Select(e => e!.Height).DefaultIfEmpty(0u).Max());
        peer.BestHeight = Math.Max(peer.BestHeight, height);
    }

    private async Task FetchTransactionsAsync(Peer peer, List<Hash256> txids)
    {
        try
        {
            var request = new GetTransactionsRequest();
            request.Txids.AddRange(txids.Select(h => h.ToByteString()));
            var reply = await peer.Client.GetTransactionsAsync(request, deadline: Deadline(s_callDeadline), cancellationToken: _stopping.Token).ConfigureAwait(false);
            foreach (var proto in reply.Transactions)
            {
                try
                {
                    _engine.SubmitTransaction(ChainProto.FromProto(proto));
                }
                catch (FormatException ex)
                {
                    Ban(peer, $"sent a malformed transaction: {ex.Message}");
                    return;
                }
                catch (ConsensusException ex) when (ex.ProvesMisbehaviour)
                {
                    Ban(peer, $"sent an invalid transaction ({ex.Reason})");
                    return;
                }
                catch (ConsensusException)
                {
                    // late, early or already known: not the sender's fault
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            LogFetchFailed(_logger, peer.Address, ex.Message);
        }
    }

    private async Task<BlockOutcome?> SubmitFromPeerAsync(Peer peer, Protos.Chain.V1.Block proto)
    {
        Block block;
        try
        {
            block = ChainProto.FromProto(proto);
        }
        catch (FormatException ex)
        {
            Ban(peer, $"sent a malformed block: {ex.Message}");
            return null;
        }
        try
        {
            return await _engine.SubmitBlockAsync(block).ConfigureAwait(false);
        }
        catch (ConsensusException ex) when (ex.ProvesMisbehaviour)
        {
            Ban(peer, $"sent invalid block {block.Hash} ({ex.Reason})");
            return null;
        }
        catch (ConsensusException)
        {
            return null;
        }
    }

    /// <summary>Locator-based catch-up: ask what follows our chain, download it in batches, repeat until nothing is new.</summary>
    public async Task SyncFromAsync(Peer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (!await peer.SyncGate.WaitAsync(0).ConfigureAwait(false))
        {
            return; // already syncing from this peer
        }
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var request = new LocatorRequest { MaxHashes = MaxHashesPerLocatorReply };
                request.Locator.AddRange(_engine.Locator().Select(h => h.ToByteString()));
                var reply = await peer.Client.FindBlocksAfterAsync(request, deadline: Deadline(s_callDeadline), cancellationToken: _stopping.Token).ConfigureAwait(false);
                var missing = reply.Hashes.Select(h => ChainProto.HashFromProto(h, "block hash")).Where(h => !_engine.HasBlock(h)).ToList();
                if (missing.Count == 0)
                {
                    return;
                }
                foreach (var batch in missing.Chunk(MaxBlocksPerRequest))
                {
                    var blocksRequest = new GetBlocksRequest();
                    blocksRequest.Hashes.AddRange(batch.Select(h => h.ToByteString()));
                    var blocks = await peer.Client.GetBlocksAsync(blocksRequest, deadline: Deadline(s_downloadDeadline), cancellationToken: _stopping.Token).ConfigureAwait(false);
                    if (blocks.Blocks.Count == 0)
                    {
                        return;
                    }
                    foreach (var proto in blocks.Blocks)
                    {
                        if (await SubmitFromPeerAsync(peer, proto).ConfigureAwait(false) is null && IsBanned(peer.NodeId))
                        {
                            return;
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            LogFetchFailed(_logger, peer.Address, ex.Message);
        }
        finally
        {
            peer.SyncGate.Release();
        }
    }

    private void MaybeSyncFrom(Peer peer, Hello hello)
    {
        var theirWork = new System.Numerics.BigInteger(hello.BestWork.Span, isUnsigned: true, isBigEndian: true);
        if (theirWork > _engine.Read(n => n.Chain.Tip.ChainWork))
        {
            _ = Task.Run(() => SyncFromAsync(peer));
        }
    }

    // ------------------------------------------------------------------ connections

    private async Task MaintainAsync(CancellationToken stopping)
    {
        var lastAddressExchange = DateTime.MinValue;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                foreach (var address in DialCandidates())
                {
                    _ = Task.Run(() => ConnectAsync(address, stopping), stopping);
                }
                if (DateTime.UtcNow - lastAddressExchange > TimeSpan.FromSeconds(30))
                {
                    lastAddressExchange = DateTime.UtcNow;
                    await ExchangeAddressesAsync(stopping).ConfigureAwait(false);
                }
                await Task.Delay(500, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private List<PeerAddress> DialCandidates()
    {
        lock (_lock)
        {
            var connected = _peers.Values.Select(p => p.Address).ToHashSet();
            var outbound = _peers.Values.Count(p => p.Outbound);
            var now = DateTime.UtcNow;
            bool Dialable(PeerAddress a) => !connected.Contains(a) && !_removed.Contains(a) && !_self.Contains(a)
                && !(_bannedAddresses.TryGetValue(a, out var until) && until > now)
                && !(_backoff.TryGetValue(a, out var b) && b.NextTry > now);
            var candidates = _seeds.Where(Dialable).ToList();
            var room = _options.TargetOutboundPeers - outbound - candidates.Count;
            candidates.AddRange(_learned.Where(Dialable).Take(Math.Max(0, room)));
            foreach (var address in candidates)
            {
                var previous = _backoff.TryGetValue(address, out var b) ? b.Backoff : TimeSpan.FromMilliseconds(500);
                var next = TimeSpan.FromTicks(Math.Min(previous.Ticks * 2, s_maxBackoff.Ticks));
                _backoff[address] = (now + next, next); // cleared on success
            }
            return candidates;
        }
    }

    private async Task<Peer?> ConnectAsync(PeerAddress address, CancellationToken stopping) =>
        (await TryConnectAsync(address, stopping).ConfigureAwait(false)).Peer;

    private async Task<(Peer? Peer, string Failure)> TryConnectAsync(PeerAddress address, CancellationToken stopping)
    {
        var candidate = new Peer("?", address, outbound: true);
        try
        {
            var reply = await candidate.Client.HandshakeAsync(OurHello(), deadline: Deadline(s_callDeadline), cancellationToken: stopping).ConfigureAwait(false);
            var hello = reply.Node ?? throw new PeerException("BAD_HANDSHAKE", StatusCode.InvalidArgument, "The handshake reply is empty.");
            if (hello.NodeId == NodeId)
            {
                lock (_lock)
                {
                    _self.Add(address);
                }
                candidate.Dispose();
                return (null, "that is this node itself");
            }
            CheckHello(hello);
            candidate.Dispose();
            var peer = Register(new Peer(hello.NodeId, address, outbound: true));
            peer.BestHeight = hello.BestHeight;
            lock (_lock)
            {
                _backoff.Remove(address);
            }
            MaybeSyncFrom(peer, hello);
            return (peer, "");
        }
        catch (Exception ex) when (ex is RpcException or PeerException or OperationCanceledException)
        {
            candidate.Dispose();
            var failure = ex is RpcException rpc ? RpcErrors.Describe(rpc).Message : ex.Message;
            LogConnectFailed(_logger, address, failure);
            return (null, failure);
        }
    }

    private async Task ExchangeAddressesAsync(CancellationToken stopping)
    {
        foreach (var peer in Peers.Take(3))
        {
            try
            {
                var reply = await peer.Client.GetAddressesAsync(new GetAddressesRequest(), deadline: Deadline(s_callDeadline), cancellationToken: stopping).ConfigureAwait(false);
                lock (_lock)
                {
                    foreach (var text in reply.Addresses.Take(100))
                    {
                        if (PeerAddress.TryParse(text, out var address) && _learned.Count < 1_000)
                        {
                            _learned.Add(address);
                        }
                    }
                }
            }
            catch (RpcException)
            {
                // an unhelpful peer is not an error
            }
        }
    }

    private Peer Register(Peer peer)
    {
        if (IsBanned(peer.NodeId))
        {
            peer.Dispose();
            throw new PeerException("BANNED", StatusCode.PermissionDenied, "You are banned for sending invalid data.");
        }
        lock (_lock)
        {
            if (_peers.TryGetValue(peer.NodeId, out var existing))
            {
                peer.Dispose();
                return existing;
            }
            _peers[peer.NodeId] = peer;
        }
        LogConnected(_logger, peer.Address, peer.NodeId, peer.Outbound ? "outbound" : "inbound");
        return peer;
    }

    private void Disconnect(Peer peer, string why)
    {
        lock (_lock)
        {
            if (!_peers.TryGetValue(peer.NodeId, out var current) || !ReferenceEquals(current, peer))
            {
                return;
            }
            _peers.Remove(peer.NodeId);
        }
        LogDisconnected(_logger, peer.Address, why);
        _ = Task.Delay(TimeSpan.FromSeconds(30)).ContinueWith(_ => peer.Dispose(), TaskScheduler.Default); // let calls in flight finish
    }

    private void Ban(Peer peer, string why)
    {
        var until = DateTime.UtcNow + _options.BanDuration;
        _bannedNodes[peer.NodeId] = until;
        _bannedAddresses[peer.Address] = until;
        LogBanned(_logger, peer.Address, why);
        Disconnect(peer, "banned: " + why);
    }

    private Peer RequirePeer(string nodeId)
    {
        if (IsBanned(nodeId))
        {
            throw new PeerException("BANNED", StatusCode.PermissionDenied, "You are banned for sending invalid data.");
        }
        lock (_lock)
        {
            return _peers.GetValueOrDefault(nodeId)
                ?? throw new PeerException("NOT_CONNECTED", StatusCode.FailedPrecondition, "Handshake first: you are not a connected peer.");
        }
    }

    private void CheckHello(Hello hello)
    {
        if (hello.NetworkId.Length != Hash256.Size || new Hash256(hello.NetworkId.Span) != _engine.NetworkId)
        {
            throw new PeerException("WRONG_NETWORK", StatusCode.FailedPrecondition, $"This node is on network {_engine.Parameters.Network} ({_engine.NetworkId}); you are not.");
        }
        if (hello.ProtocolVersion != ProtocolVersion)
        {
            throw new PeerException("WRONG_VERSION", StatusCode.FailedPrecondition, $"This node speaks protocol version {ProtocolVersion}, you speak {hello.ProtocolVersion}.");
        }
        if (hello.NodeId == NodeId)
        {
            throw new PeerException("SELF_CONNECTION", StatusCode.FailedPrecondition, "That is this node itself.");
        }
        if (string.IsNullOrEmpty(hello.NodeId) || hello.NodeId.Length > 64)
        {
            throw new PeerException("BAD_HANDSHAKE", StatusCode.InvalidArgument, "A node id of 1 to 64 characters is required.");
        }
        if (IsBanned(hello.NodeId))
        {
            throw new PeerException("BANNED", StatusCode.PermissionDenied, "You are banned for sending invalid data.");
        }
    }

    private Hello OurHello()
    {
        var tip = _engine.Read(n => n.Chain.Tip);
        return new Hello
        {
            NetworkId = _engine.NetworkId.ToByteString(),
            ProtocolVersion = ProtocolVersion,
            NodeId = NodeId,
            ListenAddress = ListenAddress?.ToString() ?? "",
            BestHash = tip.Hash.ToByteString(),
            BestHeight = tip.Height,
            BestWork = ByteString.CopyFrom(tip.ChainWork.ToByteArray(isUnsigned: true, isBigEndian: true)),
        };
    }

    private static DateTime Deadline(TimeSpan span) => DateTime.UtcNow + span;

    public async ValueTask DisposeAsync()
    {
        _engine.TipChanged -= OnTipChanged;
        _engine.TransactionAccepted -= OnTransactionAccepted;
        _engine.DoubleSpendSeen -= OnTransactionAccepted;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_maintenance is not null)
        {
            await _maintenance.ConfigureAwait(false);
        }
        foreach (var peer in Peers)
        {
            peer.Dispose();
        }
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Address} ({NodeId}, {Direction})")]
    private static partial void LogConnected(ILogger logger, PeerAddress address, string nodeId, string direction);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected from {Address}: {Why}")]
    private static partial void LogDisconnected(ILogger logger, PeerAddress address, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Banned {Address}: {Why}")]
    private static partial void LogBanned(ILogger logger, PeerAddress address, string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not connect to {Address}: {Why}")]
    private static partial void LogConnectFailed(ILogger logger, PeerAddress address, string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Fetching from {Address} failed: {Why}")]
    private static partial void LogFetchFailed(ILogger logger, PeerAddress address, string why);
}

/// <summary>A peer-protocol refusal (wrong network, banned, not connected…).</summary>
public sealed class PeerException(string reason, StatusCode status, string message) : ReasonedException(reason, message, null)
{
    public override StatusCode StatusCode { get; } = status;
}
