using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using LedgerContrast.ChainNode.Api;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Hosting;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Collections;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Rpc;
using Microsoft.Extensions.Logging;
using Block = LedgerContrast.Shared.Chain.Block;
using BlockHeader = LedgerContrast.Shared.Chain.BlockHeader;
using Transaction = LedgerContrast.Shared.Chain.Transaction;

namespace LedgerContrast.ChainNode.Network;

/// <summary>
/// The node's peers: dialing (seeds, then addresses learned from peers, with back-off), the
/// handshake and its sessions, relay (a new block pushed to a few peers, everything else announced
/// so peers fetch what they lack), locator-based
/// catch-up, and bans. Identity is the session a handshake issues, never a node id or address a
/// caller claims; an inbound peer's address counts only once we dialled it back and it vouched
/// for the handshake (PROTOCOL.md §9). Every call has a deadline and runs on its own task, so one
/// slow or dead peer never stalls the node, and every table here is bounded.
/// </summary>
public sealed partial class PeerManager : IAsyncDisposable
{
    /// <summary>2: transactions sign their spent outputs (docs/PROTOCOL.md §3); version-1 peers are refused with WRONG_VERSION.</summary>
    public const uint ProtocolVersion = 2;
    public const int MaxMessageBytes = 8 * 1024 * 1024;
    public const int MaxBlocksPerRequest = 100;
    public const int MaxHashesPerLocatorReply = 500;

    /// <summary>What the header syncs of this node may hold in memory before a branch proves more work: all at once, and one branch (PROTOCOL.md §9, Limits).</summary>
    public const long MaxHeaderBytes = 16 * 1024 * 1024, MaxHeaderBytesPerBranch = 8 * 1024 * 1024;
    public const int MaxInboundPeers = 64;
    public const int MaxInventoryItems = 10_000;
    public const int MaxLearnedAddresses = 1_000;
    private static readonly TimeSpan s_callDeadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_downloadDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_maxSyncPause = TimeSpan.FromSeconds(60);

    private readonly NodeEngine _engine;
    private readonly NodeOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Peer> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Peer> _sessions = new(StringComparer.Ordinal);
    private readonly BoundedLru<string, Peer> _dialNonces = new(256, comparer: StringComparer.Ordinal);
    private readonly HashSet<PeerAddress> _seeds = [];
    private readonly BoundedLru<PeerAddress, bool> _learned = new(MaxLearnedAddresses);
    private readonly HashSet<PeerAddress> _removed = [];
    private readonly HashSet<PeerAddress> _self = [];
    private readonly Dictionary<PeerAddress, (DateTime NextTry, TimeSpan Backoff)> _backoff = [];
    private readonly BlockDownloads _downloads = new(s_downloadDeadline);
    private readonly BanList _bans = new();
    private readonly HeaderBudget _headerBudget = new(MaxHeaderBytes, MaxHeaderBytesPerBranch);
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

    /// <summary>The peers this node is fully connected with: both directions work and the address is proven.</summary>
    public IReadOnlyList<Peer> Peers
    {
        get
        {
            lock (_lock)
            {
                return [.. _peers.Values.Where(p => p.Verified)];
            }
        }
    }

    /// <summary>Inbound connections still waiting for the dial-back (or refused it): served, never relayed to.</summary>
    public int UnverifiedPeerCount
    {
        get
        {
            lock (_lock)
            {
                return _peers.Values.Count(p => !p.Verified);
            }
        }
    }

    public bool IsBanned(string nodeId) => _bans.Contains(nodeId);

    public bool IsBanned(PeerAddress address) => _bans.Contains(address);

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
        _bans.Lift(address);
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

    /// <summary>
    /// A handshake issues the caller a session. A dial-back (it carries the nonce of our own
    /// outbound Hello) attaches the session to the peer we dialled; any other handshake makes a new
    /// inbound peer, unverified until we dial its claimed address back and that node vouches.
    /// </summary>
    public HelloReply OnHandshake(Hello hello, string observedEndpoint)
    {
        ArgumentNullException.ThrowIfNull(hello);
        CheckHello(hello);
        if (!PeerAddress.TryParse(hello.ListenAddress, out var address))
        {
            throw new NodeRefusal(NodeReasons.NoListenAddress, "A peer must advertise the HOST:PORT it listens on.");
        }
        if (hello.Nonce.Length != 16)
        {
            throw new NodeRefusal(NodeReasons.BadHandshake, "A handshake carries a 16-byte nonce.");
        }
        var session = NewSession();
        Peer peer;
        Peer? toVerify = null;
        lock (_lock)
        {
            if (_removed.Contains(address))
            {
                throw new NodeRefusal(NodeReasons.PeerRemoved, "This node's admin removed you as a peer.");
            }
            if (!hello.VouchNonce.IsEmpty)
            {
                if (!_dialNonces.TryPeek(Convert.ToHexString(hello.VouchNonce.Span), out var dialled) || !_peers.ContainsKey(dialled.Key))
                {
                    throw new NodeRefusal(NodeReasons.UnknownNonce, "This node did not open a connection with that nonce: it cannot vouch for it.");
                }
                peer = dialled;
                if (peer.InboundSession is { } old)
                {
                    _sessions.Remove(old);
                }
            }
            else
            {
                if (IsBanned(address))
                {
                    throw Banned(hello.NodeId, address);
                }
                MakeRoomForInbound();
                peer = new Peer(address, outbound: false, hello.NodeId, _options.LinkLatency);
                _peers[peer.Key] = peer;
                toVerify = peer;
            }
            peer.InboundSession = session;
            peer.ObservedEndpoint = observedEndpoint;
            peer.BestHeight = Math.Max(peer.BestHeight, hello.BestHeight);
            _sessions[session] = peer;
        }
        if (toVerify is not null)
        {
            _ = Task.Run(() => VerifyByDialBackAsync(toVerify, hello));
        }
        return new HelloReply { Node = OurHello(), Session = session };
    }

    public void OnAnnounce(Inventory inventory, string? session)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var peer = RequireSession(session);
        if (inventory.BlockHashes.Count + inventory.Txids.Count > MaxInventoryItems)
        {
            Ban(peer, $"announced more than {MaxInventoryItems} items at once");
            return;
        }
        if (!peer.Verified)
        {
            // Fetching means calling the claimed address, which is not proven yet: ignore, don't
            // refuse — an honest peer may announce before our dial-back has finished, and a refusal
            // would make it drop us.
            return;
        }
        var announced = inventory.BlockHashes.Select(h => ChainProto.HashFromProto(h, "block hash")).ToList();
        announced.ForEach(peer.MarkKnown);
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

    /// <summary>
    /// A block pushed unasked (PROTOCOL.md §9). Processed at once only if it extends a block we
    /// have and would carry more work than our tip — what Bitcoin Core accepts unrequested — so
    /// pushes cannot make a node store side branches it never chose to fetch; anything else is
    /// taken as an announcement of its hash. Punished exactly as a fetched block would be.
    /// </summary>
    public async Task<PushBlockReply> OnPushBlockAsync(PushBlockRequest request, string? session)
    {
        ArgumentNullException.ThrowIfNull(request);
        var peer = RequireSession(session);
        if (!peer.Verified)
        {
            return new PushBlockReply(); // as an announcement from it would be: ignored until its address is proven
        }
        Block block;
        try
        {
            block = ChainProto.FromProto(request.Block ?? throw new FormatException("The push carries no block."));
        }
        catch (FormatException ex)
        {
            Ban(peer, $"pushed a malformed block: {ex.Message}");
            return new PushBlockReply();
        }
        peer.MarkKnown(block.Hash);
        if (!_engine.Read(n => ExtendsWithMoreWork(n.Chain, block.Header)))
        {
            NoteHeight(peer, [block.Hash]); // known here or not: then it is fetched, and noted after
            if (!_engine.HasBlock(block.Hash))
            {
                _ = Task.Run(() => FetchBlocksAsync(peer, [block.Hash]));
            }
            return new PushBlockReply();
        }
        try
        {
            await _engine.SubmitBlockAsync(block).ConfigureAwait(false);
            NoteHeight(peer, [block.Hash]);
        }
        catch (ConsensusException ex) when (ex.ProvesMisbehaviour)
        {
            Ban(peer, $"sent invalid block {block.Hash} ({ex.Reason})");
        }
        catch (ConsensusException)
        {
            // from the future, or too little work: not its fault, nothing to answer
        }
        return new PushBlockReply();
    }

    /// <summary>Its parent is stored and valid, and its header claims more work than the tip has (the claim is checked when it is processed).</summary>
    private static bool ExtendsWithMoreWork(Blockchain chain, BlockHeader header) =>
        chain.Find(header.Hash) is null
        && chain.Find(header.PreviousHash) is { Status: not BlockStatus.Invalid } parent
        && parent.ChainWork + Target.Work(header.Bits) > chain.Tip.ChainWork;

    public GetBlocksReply OnGetBlocks(GetBlocksRequest request, string? session)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireSession(session);
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

    public GetTransactionsReply OnGetTransactions(GetTransactionsRequest request, string? session)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireSession(session);
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

    public LocatorReply OnFindBlocksAfter(LocatorRequest request, string? session)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireSession(session);
        var max = (int)Math.Clamp(request.MaxHashes == 0 ? MaxHashesPerLocatorReply : request.MaxHashes, 1, MaxHashesPerLocatorReply);
        var reply = new LocatorReply();
        reply.Hashes.AddRange(_engine.BlocksAfter(request.Locator.Take(HeadersMessages.MaxLocatorHashes).Select(h => ChainProto.HashFromProto(h, "locator hash")), max).Select(h => h.ToByteString()));
        return reply;
    }

    public HeadersReply OnGetHeaders(HeadersRequest request, string? session)
    {
        RequireSession(session);
        return HeadersMessages.Answer(_engine, request);
    }

    /// <summary>Only proven addresses are passed on: a claimed one may be anyone's.</summary>
    public GetAddressesReply OnGetAddresses(string? session)
    {
        RequireSession(session);
        var reply = new GetAddressesReply();
        reply.Addresses.AddRange(Peers.Select(p => p.Address.ToString()).Distinct().Take(100));
        return reply;
    }

    // ------------------------------------------------------------------ relay

    /// <summary>
    /// One new block on top of the tip (the common case) goes as a body straight to up to
    /// <see cref="MaxPushPeers"/> peers that cannot have it — relay in one trip instead of
    /// announce, fetch, answer — and as a hash to the rest; peers known to have it get nothing.
    /// Anything else (a reorganisation, a catch-up batch) is announced.
    /// </summary>
    private void OnTipChanged(ChainUpdate update)
    {
        var inventory = new Inventory();
        inventory.BlockHashes.AddRange(update.Connected.Select(b => b.Hash.ToByteString()).Take(MaxInventoryItems));
        if (update.Disconnected.Count > 0 || update.Connected.Count != 1)
        {
            // The old branch's payments that went back to the mempool are news to peers that
            // never saw them (a partition's other side): announced with the blocks, fetched if lacked.
            var returned = update.Disconnected.SelectMany(b => b.Transactions.Skip(1)).Select(t => t.Txid).ToList();
            inventory.Txids.AddRange(_engine.Read(n => returned.Where(t => n.Pool.Find(t) is not null).Take(MaxInventoryItems - inventory.BlockHashes.Count).Select(t => t.ToByteString()).ToList()));
            Broadcast(inventory);
            return;
        }
        var block = update.Connected[0];
        PushBlockRequest? push = null;
        var pushed = 0;
        foreach (var peer in Peers)
        {
            if (peer.CheckAndMarkKnown(block.Hash))
            {
                continue;
            }
            if (pushed++ < MaxPushPeers)
            {
                push ??= new PushBlockRequest { Block = block.ToProto() };
                _ = Task.Run(() => PushAsync(peer, block.Hash, push, inventory));
            }
            else
            {
                _ = Task.Run(() => SendAsync(peer, inventory));
            }
        }
    }

    /// <summary>How many peers get a new block's body unasked (Bitcoin picks 3 high-bandwidth compact-block peers).</summary>
    public const int MaxPushPeers = 3;

    private void OnTransactionAccepted(Transaction tx)
    {
        var inventory = new Inventory();
        inventory.Txids.Add(tx.Txid.ToByteString());
        Broadcast(inventory);
    }

    /// <summary>
    /// A payment a client gave this node must not die with a lost announcement or a peer that
    /// restarted with an empty pool: its own clients' pending transactions are announced again
    /// (Bitcoin Core rebroadcasts its wallet's); peers that hold them ignore the announcement.
    /// </summary>
    private void Rebroadcast()
    {
        var pending = _engine.LocalPending();
        if (pending.Count == 0)
        {
            return;
        }
        var inventory = new Inventory();
        inventory.Txids.AddRange(pending.Take(MaxInventoryItems).Select(t => t.Txid.ToByteString()));
        Broadcast(inventory);
    }

    private void Broadcast(Inventory inventory)
    {
        foreach (var peer in Peers)
        {
            _ = Task.Run(() => SendAsync(peer, inventory));
        }
    }

    /// <summary>Pushes a block; if that fails short of the peer refusing us, it is announced instead, so the peer can still fetch it.</summary>
    private async Task PushAsync(Peer peer, Hash256 block, PushBlockRequest push, Inventory inventory)
    {
        try
        {
            await peer.Client.PushBlockAsync(push, deadline: Deadline(s_downloadDeadline), cancellationToken: _stopping.Token).ConfigureAwait(false);
            peer.CallSucceeded();
            NoteHeight(peer, [block]); // it has it now
            return;
        }
        catch (RpcException)
        {
            // A node of an earlier release (UNIMPLEMENTED), a deadline, a dropped session: the
            // announcement either lets it fetch the block or finds out the peer is gone.
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await SendAsync(peer, inventory).ConfigureAwait(false);
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

    /// <summary>
    /// Fetches announced blocks, each from one peer at a time (in flight until processed or
    /// 30 s), and processes only blocks that were asked for.
    /// </summary>
    private async Task FetchBlocksAsync(Peer peer, List<Hash256> hashes)
    {
        try
        {
            var download = await DownloadAsync(peer, hashes.Take(MaxBlocksPerRequest)).ConfigureAwait(false);
            if (download.SenderBanned)
            {
                return;
            }
            NoteHeight(peer, hashes);
            if (download.SawOrphan)
            {
                await SyncFromAsync(peer).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            LogFetchFailed(_logger, peer.Address, ex.Message);
        }
    }

    /// <summary>What one GetBlocks round brought: blocks new to this node, whether one was an orphan, whether the sender got banned.</summary>
    private sealed record Download(int NewBlocks, bool SawOrphan, bool SenderBanned);

    /// <summary>A GetBlocks request answered: what was asked, and the blocks delivered (still claimed until processed).</summary>
    /// <param name="Blocks">The reply's blocks that were asked for, in order (others are never processed, never stored).</param>
    /// <param name="Malformed">Why the reply could not be decoded, if it could not.</param>
    private sealed record Fetched(List<Hash256> Requested, List<Block> Blocks, string? Malformed = null)
    {
        public IEnumerable<Hash256> Claimed => Blocks.Select(b => b.Hash);
    }

    /// <summary>
    /// Asks <paramref name="peer"/> for those of <paramref name="hashes"/> nobody else is fetching,
    /// processes only what was asked for, and releases the claims at once.
    /// </summary>
    private async Task<Download> DownloadAsync(Peer peer, IEnumerable<Hash256> hashes) =>
        await ProcessAsync(peer, await RequestAsync(peer, hashes).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>Claims what nobody else is fetching and asks for it; the delivered blocks stay claimed until <see cref="ProcessAsync"/>, the rest is released here.</summary>
    private async Task<Fetched> RequestAsync(Peer peer, IEnumerable<Hash256> hashes)
    {
        var requested = hashes.ToList();
        var claimed = _downloads.Claim(peer.Key, requested);
        if (claimed.Count == 0)
        {
            return new Fetched(requested, []);
        }
        try
        {
            var request = new GetBlocksRequest();
            request.Hashes.AddRange(requested.Where(claimed.Contains).Select(h => h.ToByteString()));
            var reply = await peer.Client.GetBlocksAsync(request, deadline: Deadline(s_downloadDeadline), cancellationToken: _stopping.Token).ConfigureAwait(false);
            var blocks = new List<Block>(reply.Blocks.Count);
            foreach (var proto in reply.Blocks)
            {
                try
                {
                    var block = ChainProto.FromProto(proto);
                    if (claimed.Contains(block.Hash))
                    {
                        blocks.Add(block);
                    }
                }
                catch (FormatException ex)
                {
                    _downloads.Release(peer.Key, claimed);
                    return new Fetched(requested, [], ex.Message);
                }
            }
            // What the reply left out is not in flight any more: another request (the next of a
            // catch-up, or another peer's) may ask for it at once.
            var delivered = blocks.Select(b => b.Hash).ToHashSet();
            _downloads.Release(peer.Key, claimed.Where(h => !delivered.Contains(h)));
            return new Fetched(requested, blocks);
        }
        catch
        {
            _downloads.Release(peer.Key, claimed);
            throw;
        }
    }

    /// <summary>
    /// Processes the blocks of a reply that were asked for, as one batch (one storage commit per
    /// group of blocks, not per block), and punishes the sender for the first block that is its
    /// fault; nothing it sent after that is processed.
    /// </summary>
    private async Task<Download> ProcessAsync(Peer peer, Fetched fetched)
    {
        try
        {
            if (fetched.Malformed is not null)
            {
                Ban(peer, $"sent a malformed block: {fetched.Malformed}");
                return new Download(0, false, SenderBanned: true);
            }
            var blocks = fetched.Blocks;
            if (blocks.Count == 0)
            {
                return new Download(0, false, false);
            }
            var results = await _engine.SubmitBlocksAsync(blocks, stopAfter: ex => ex.ProvesMisbehaviour).ConfigureAwait(false);
            var newBlocks = results.Count(r => r.Outcome is { Acceptance: BlockAcceptance.Accepted or BlockAcceptance.Orphan } && r.Refusal is null);
            // An orphan's branch, and a deep side branch's work, are unknown: the sender's headers tell.
            var sawOrphan = results.Any(r => r.Outcome?.Acceptance == BlockAcceptance.Orphan || r.Refusal?.Fault == BlockFault.TooLittleWork);
            if (results.FirstOrDefault(r => r.Refusal is { ProvesMisbehaviour: true }) is { } invalid)
            {
                Ban(peer, $"sent invalid block {invalid.Block.Hash} ({invalid.Refusal!.Reason})");
                return new Download(newBlocks, sawOrphan, SenderBanned: true);
            }
            return new Download(newBlocks, sawOrphan, SenderBanned: !IsConnected(peer));
        }
        finally
        {
            _downloads.Release(peer.Key, fetched.Claimed);
        }
    }

    /// <summary>A request made ahead that will not be processed: its claims are released when it comes back.</summary>
    private void Abandon(Peer peer, Task<Fetched>? pending) =>
        pending?.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully)
            {
                _downloads.Release(peer.Key, t.Result.Claimed);
            }
        }, TaskScheduler.Default);

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
            var asked = txids.ToHashSet();
            foreach (var proto in reply.Transactions)
            {
                try
                {
                    var tx = ChainProto.FromProto(proto);
                    if (!asked.Contains(tx.Txid))
                    {
                        continue; // not asked for: not processed
                    }
                    _engine.SubmitTransaction(tx);
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

    /// <summary>
    /// Headers-first catch-up (PROTOCOL.md §9): ask the peer for the headers after our locator
    /// (and after the branch we hold of it), check them as headers, and only once its header chain
    /// carries more work than our tip download the blocks it names — so a branch however deep is
    /// taken when it wins, and one that never wins costs bounded memory and stores nothing.
    /// Repeats until the peer has nothing more. A sync that ends without progress (the peer's
    /// chain is not heavier, its blocks never come, a header is from the future) pauses it for
    /// this peer, 1 s doubling up to a minute: never a busy loop.
    /// </summary>
    public async Task SyncFromAsync(Peer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.SyncPausedUntil > DateTime.UtcNow || !await peer.SyncGate.WaitAsync(0).ConfigureAwait(false))
        {
            return;
        }
        using var branch = new HeaderBranch(_headerBudget);
        try
        {
            var (progress, why) = await SyncHeadersFirstAsync(peer, branch).ConfigureAwait(false);
            if (progress is SyncProgress.Stalled)
            {
                peer.SyncBackoff = TimeSpan.FromTicks(Math.Clamp(peer.SyncBackoff.Ticks * 2, TimeSpan.FromSeconds(1).Ticks, s_maxSyncPause.Ticks));
                peer.SyncPausedUntil = DateTime.UtcNow + peer.SyncBackoff;
                LogSyncPaused(_logger, peer.Address, why, peer.SyncBackoff.TotalSeconds);
            }
            else if (progress is SyncProgress.UpToDate)
            {
                peer.SyncBackoff = TimeSpan.Zero;
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

    private enum SyncProgress
    {
        /// <summary>The peer has nothing we lack, or everything it had arrived.</summary>
        UpToDate,

        /// <summary>Nothing came of it: the peer's chain is not heavier, its blocks did not come, or a header is from the future.</summary>
        Stalled,

        /// <summary>The peer was banned or is gone.</summary>
        Ended,
    }

    /// <returns>How the sync ended, and for a stall why, in words for the log.</returns>
    private async Task<(SyncProgress Progress, string Why)> SyncHeadersFirstAsync(Peer peer, HeaderBranch branch)
    {
        var downloaded = false;
        var received = 0;
        while (!_stopping.IsCancellationRequested && IsConnected(peer))
        {
            var request = HeadersMessages.Request(branch, _engine.Locator());
            var reply = await peer.Client.GetHeadersAsync(request, deadline: Deadline(s_callDeadline), cancellationToken: _stopping.Token).ConfigureAwait(false);
            var (headers, fault) = HeadersMessages.Decode(reply);
            if (headers is null)
            {
                Ban(peer, fault!);
                return (SyncProgress.Ended, "");
            }
            var (outcome, moreWork) = _engine.ExtendHeaders(branch, headers);
            received += headers.Count;
            switch (outcome.Verdict)
            {
                case HeaderVerdict.Invalid:
                case HeaderVerdict.NotConnected:
                    Ban(peer, $"sent an invalid header ({outcome.Reason}: {outcome.Detail})");
                    return (SyncProgress.Ended, "");
                case HeaderVerdict.TimeFuture:
                case HeaderVerdict.TooLong:
                case HeaderVerdict.Extended:
                    break;
            }
            if (moreWork)
            {
                var missing = _engine.MissingBlocks(branch);
                if (missing.Count > 0)
                {
                    var fetched = await StreamAsync(peer, missing).ConfigureAwait(false);
                    if (fetched < 0)
                    {
                        return (SyncProgress.Ended, "");
                    }
                    _engine.MissingBlocks(branch); // what arrived leaves the branch
                    if (fetched == 0)
                    {
                        return downloaded ? (SyncProgress.UpToDate, "") : (SyncProgress.Stalled, $"its headers prove more work than our tip, but none of the {missing.Count} blocks asked for arrived new");
                    }
                    downloaded = true;
                }
            }
            if (!HeadersMessages.MayHaveMore(outcome, headers.Count))
            {
                // Its whole chain is here: we are level with it, or it is lighter than ours, or a
                // header is from the future, or its branch outgrew what headers may hold.
                if (downloaded || (headers.Count == 0 && outcome.Verdict == HeaderVerdict.Extended))
                {
                    return (SyncProgress.UpToDate, "");
                }
                return (SyncProgress.Stalled, outcome.Verdict switch
                {
                    HeaderVerdict.TimeFuture => $"a header is too far in the future ({outcome.Detail})",
                    HeaderVerdict.TooLong => $"{received:N0} headers and no more work than our tip: {outcome.Detail}",
                    HeaderVerdict.Extended or HeaderVerdict.Invalid or HeaderVerdict.NotConnected => $"its {received:N0} headers after our locator carry no more work than our tip",
                });
            }
        }
        return (SyncProgress.Ended, "");
    }

    /// <summary>
    /// Downloads <paramref name="missing"/> in order, one request in flight while the previous
    /// reply is processed: the next request is sent as soon as a reply arrives, starting where
    /// that reply stopped (the sender fills each reply up to a byte budget, so batches are sized
    /// by bytes, not by a count that big blocks would overflow).
    /// </summary>
    /// <returns>How many blocks were new to this node, or -1 if the sender was banned.</returns>
    private async Task<int> StreamAsync(Peer peer, List<Hash256> missing)
    {
        var progress = 0;
        var position = 0;
        var pending = (Task<Fetched>?)RequestAsync(peer, missing.Take(MaxBlocksPerRequest));
        try
        {
            while (pending is not null)
            {
                var fetched = await pending.ConfigureAwait(false);
                pending = null;
                position += Delivered(fetched);
                if (position < missing.Count && fetched.Malformed is null) // bounded: every request moves on by at least one hash
                {
                    pending = RequestAsync(peer, missing.Skip(position).Take(MaxBlocksPerRequest));
                }
                var download = await ProcessAsync(peer, fetched).ConfigureAwait(false);
                if (download.SenderBanned)
                {
                    return -1;
                }
                progress += download.NewBlocks;
            }
            return progress;
        }
        finally
        {
            Abandon(peer, pending);
        }
    }

    /// <summary>How far into its request a reply got: up to the last block delivered (a reply stops at its byte budget), or all of it if it delivered none of what was claimed.</summary>
    private static int Delivered(Fetched fetched)
    {
        var index = fetched.Blocks.Count == 0 ? -1 : fetched.Requested.IndexOf(fetched.Blocks[^1].Hash);
        return index < 0 ? fetched.Requested.Count : index + 1;
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
        var lastRebroadcast = DateTime.UtcNow;
        var lastKeepAlive = DateTime.UtcNow;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                foreach (var address in DialCandidates())
                {
                    _ = Task.Run(() => ConnectAsync(address, stopping), stopping);
                }
                if (DateTime.UtcNow - lastKeepAlive > _options.KeepAliveInterval)
                {
                    lastKeepAlive = DateTime.UtcNow;
                    Broadcast(new Inventory());
                }
                if (DateTime.UtcNow - lastRebroadcast > _options.RebroadcastInterval)
                {
                    lastRebroadcast = DateTime.UtcNow;
                    Rebroadcast();
                }
                if (DateTime.UtcNow - lastAddressExchange > TimeSpan.FromSeconds(30))
                {
                    lastAddressExchange = DateTime.UtcNow;
                    await ExchangeAddressesAsync(stopping).ConfigureAwait(false);
                }
                ForgetExpired();
                await Task.Delay(500, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Bans end; downloads that never came back stop blocking others.</summary>
    private void ForgetExpired()
    {
        var now = DateTime.UtcNow;
        _bans.ForgetExpired(now);
        _downloads.ForgetExpired(now);
    }

    private List<PeerAddress> DialCandidates()
    {
        lock (_lock)
        {
            var connected = _peers.Values.Where(p => p.Verified || p.Outbound).Select(p => p.Address).ToHashSet();
            var outbound = _peers.Values.Count(p => p.Outbound);
            var now = DateTime.UtcNow;
            bool Dialable(PeerAddress a) => !connected.Contains(a) && !_removed.Contains(a) && !_self.Contains(a) && !IsBanned(a)
                && !(_backoff.TryGetValue(a, out var b) && b.NextTry > now);
            var candidates = _seeds.Where(Dialable).ToList();
            var room = _options.TargetOutboundPeers - outbound - candidates.Count;
            candidates.AddRange(_learned.Entries.Select(e => e.Key).Where(Dialable).Take(Math.Max(0, room)));
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

    /// <summary>
    /// Dials <paramref name="address"/>: our Hello carries a fresh nonce, kept so that the other
    /// side's dial-back, which echoes it, is recognised as this connection's.
    /// </summary>
    private async Task<(Peer? Peer, string Failure)> TryConnectAsync(PeerAddress address, CancellationToken stopping)
    {
        var candidate = new Peer(address, outbound: true, linkLatency: _options.LinkLatency);
        var hello = OurHello();
        lock (_lock)
        {
            _peers[candidate.Key] = candidate; // unverified until the reply: the dial-back may arrive first
            _dialNonces.Set(Convert.ToHexString(hello.Nonce.Span), candidate);
        }
        try
        {
            var reply = await candidate.Client.HandshakeAsync(hello, deadline: Deadline(s_callDeadline), cancellationToken: stopping).ConfigureAwait(false);
            var theirs = reply.Node ?? throw new NodeRefusal(NodeReasons.BadHandshake, "The handshake reply is empty.");
            if (theirs.NodeId == NodeId)
            {
                lock (_lock)
                {
                    _self.Add(address);
                }
                Forget(candidate);
                return (null, "that is this node itself");
            }
            CheckHello(theirs);
            if (string.IsNullOrEmpty(reply.Session) || reply.Session.Length > 128)
            {
                throw new NodeRefusal(NodeReasons.BadHandshake, "The handshake reply carries no session.");
            }
            candidate.NodeId = theirs.NodeId;
            candidate.OutboundSession = reply.Session;
            candidate.BestHeight = theirs.BestHeight;
            var peer = MarkVerified(candidate);
            lock (_lock)
            {
                _backoff.Remove(address);
            }
            if (peer is null)
            {
                return (null, "already connected to that node");
            }
            MaybeSyncFrom(peer, theirs);
            return (peer, "");
        }
        catch (Exception ex) when (ex is RpcException or NodeRefusal or OperationCanceledException)
        {
            Forget(candidate);
            var failure = ex is RpcException rpc ? RpcErrors.Describe(rpc).Message : ex.Message;
            LogConnectFailed(_logger, address, failure);
            return (null, failure);
        }
    }

    /// <summary>
    /// Dials an inbound peer's claimed address back, echoing its nonce: only the node that sent
    /// that Hello can vouch, so a liar claiming someone else's address stays unverified — served,
    /// never relayed to, never advertised, and its misbehaviour charged to its session alone.
    /// </summary>
    private async Task VerifyByDialBackAsync(Peer peer, Hello theirHello)
    {
        if (_self.Contains(peer.Address))
        {
            return;
        }
        var hello = OurHello();
        hello.VouchNonce = theirHello.Nonce;
        try
        {
            var reply = await peer.Client.HandshakeAsync(hello, deadline: Deadline(s_callDeadline), cancellationToken: _stopping.Token).ConfigureAwait(false);
            if (reply.Node is null || reply.Node.NodeId != theirHello.NodeId || string.IsNullOrEmpty(reply.Session) || reply.Session.Length > 128)
            {
                LogNotVouched(_logger, peer.Address, "the node at that address is another one");
                return;
            }
            peer.OutboundSession = reply.Session;
            if (MarkVerified(peer) is { } verified)
            {
                MaybeSyncFrom(verified, theirHello);
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            LogNotVouched(_logger, peer.Address, ex is RpcException rpc ? RpcErrors.Describe(rpc).Reason : "stopping");
        }
    }

    /// <summary>
    /// Both directions work: the peer is connected. Two connections with one node (both dialled
    /// at once) keep the one opened by the node with the smaller id, so both ends keep the same one.
    /// A proven address belongs to one node at a time: a connected peer still listed at this
    /// address under another id is a process that has since died (restarted on the same port), a ghost.
    /// </summary>
    private Peer? MarkVerified(Peer peer)
    {
        Peer? loser = null;
        List<Peer> ghosts;
        lock (_lock)
        {
            if (!_peers.ContainsKey(peer.Key))
            {
                return null; // removed or banned meanwhile
            }
            // Removed in the same step that verifies the newcomer, so nobody ever sees both.
            ghosts = [.. _peers.Values.Where(p => p != peer && p.Verified && p.Address == peer.Address && p.NodeId != peer.NodeId)];
            ghosts.ForEach(g => RemoveLocked(g));
            var twin = _peers.Values.FirstOrDefault(p => p != peer && p.Verified && p.NodeId == peer.NodeId);
            if (twin is not null)
            {
                var peerOpener = peer.Outbound ? NodeId : peer.NodeId;
                var twinOpener = twin.Outbound ? NodeId : twin.NodeId;
                loser = string.CompareOrdinal(peerOpener, twinOpener) <= 0 && peer.Outbound != twin.Outbound ? twin : peer;
            }
            if (loser != peer)
            {
                peer.Verified = true;
            }
        }
        foreach (var ghost in ghosts)
        {
            LogDisconnected(_logger, ghost.Address, "a ghost: another node now answers at its address");
            DisposeLater(ghost);
        }
        if (loser is not null)
        {
            Disconnect(loser, "a second connection with the same node");
        }
        if (loser == peer)
        {
            return null;
        }
        LogConnected(_logger, peer.Address, peer.NodeId, peer.Outbound ? "outbound" : "inbound");
        return peer;
    }

    /// <summary>At the inbound limit, the oldest unverified connection goes first; if every one is a real peer, the newcomer is refused.</summary>
    private void MakeRoomForInbound()
    {
        var inbound = _peers.Values.Where(p => !p.Outbound).ToList();
        if (inbound.Count < MaxInboundPeers)
        {
            return;
        }
        var evict = inbound.Where(p => !p.Verified).MinBy(p => p.ConnectedMs)
            ?? throw new NodeRefusal(NodeReasons.TooManyPeers, $"This node already has {MaxInboundPeers} inbound peers.");
        RemoveLocked(evict);
        DisposeLater(evict);
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
                        if (PeerAddress.TryParse(text, out var address) && !_self.Contains(address))
                        {
                            _learned.Set(address, true); // bounded: the least recently heard of go first
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

    private bool IsConnected(Peer peer)
    {
        lock (_lock)
        {
            return _peers.ContainsKey(peer.Key);
        }
    }

    /// <summary>A dial that came to nothing: out of the tables, without a "disconnected" line.</summary>
    private void Forget(Peer candidate)
    {
        lock (_lock)
        {
            RemoveLocked(candidate);
        }
        DisposeLater(candidate);
    }

    /// <summary>Closes a removed peer's channel once calls still in flight on it have had time to finish.</summary>
    private static void DisposeLater(Peer peer) =>
        _ = Task.Delay(TimeSpan.FromSeconds(30)).ContinueWith(_ => peer.Dispose(), TaskScheduler.Default);

    /// <summary>Takes a peer and its session out of the tables; the caller holds the lock.</summary>
    private bool RemoveLocked(Peer peer)
    {
        if (!_peers.Remove(peer.Key))
        {
            return false;
        }
        if (peer.InboundSession is { } session)
        {
            _sessions.Remove(session);
        }
        return true;
    }

    private void Disconnect(Peer peer, string why)
    {
        lock (_lock)
        {
            if (!RemoveLocked(peer))
            {
                return;
            }
        }
        LogDisconnected(_logger, peer.Address, why);
        DisposeLater(peer);
    }

    /// <summary>
    /// Punishes a session: it is cut off. A proven peer (address verified by dial-back) is also
    /// refused by node id and address for the ban duration; an unproven one only loses its
    /// session, since the id and address it claimed may be someone else's.
    /// </summary>
    private void Ban(Peer peer, string why)
    {
        if (peer.Verified)
        {
            var until = DateTime.UtcNow + _options.BanDuration;
            _bans.Ban(peer.NodeId, peer.Address, until, why);
        }
        LogBanned(_logger, peer.Address, peer.ObservedEndpoint, why);
        Disconnect(peer, "banned: " + why);
    }

    /// <summary>The peer holding this session, if any.</summary>
    public Peer? FindBySession(string? session)
    {
        if (string.IsNullOrEmpty(session))
        {
            return null;
        }
        lock (_lock)
        {
            return _sessions.GetValueOrDefault(session);
        }
    }

    /// <summary>The peer holding this session, verified or not: every method but Handshake needs one.</summary>
    private Peer RequireSession(string? session)
    {
        var peer = FindBySession(session);
        if (peer is null)
        {
            throw new NodeRefusal(NodeReasons.NotConnected, "Handshake first, and send its session as lc-session metadata: you are not a connected peer.");
        }
        return peer;
    }

    private void CheckHello(Hello hello)
    {
        if (hello.NetworkId.Length != Hash256.Size || new Hash256(hello.NetworkId.Span) != _engine.NetworkId)
        {
            throw new NodeRefusal(NodeReasons.WrongNetwork, $"This node is on network {_engine.Parameters.Network} ({_engine.NetworkId}); you are not.");
        }
        if (hello.ProtocolVersion != ProtocolVersion)
        {
            throw new NodeRefusal(NodeReasons.WrongVersion, $"This node speaks protocol version {ProtocolVersion}, you speak {hello.ProtocolVersion}.");
        }
        if (hello.NodeId == NodeId)
        {
            throw new NodeRefusal(NodeReasons.SelfConnection, "That is this node itself.");
        }
        if (string.IsNullOrEmpty(hello.NodeId) || hello.NodeId.Length > 64)
        {
            throw new NodeRefusal(NodeReasons.BadHandshake, "A node id of 1 to 64 characters is required.");
        }
        if (IsBanned(hello.NodeId))
        {
            throw Banned(hello.NodeId, null);
        }
    }

    /// <summary>A banned node is told why (e.g. which block, which rule), so an honest operator can find its bug.</summary>
    private NodeRefusal Banned(string nodeId, PeerAddress? address) =>
        new(NodeReasons.Banned, $"You are banned for {_options.BanDuration.TotalMinutes:0} minutes: you {_bans.Why(nodeId, address) ?? "sent invalid data"}.");

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
            Nonce = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)),
        };
    }

    private static string NewSession() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

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
        List<Peer> all;
        lock (_lock)
        {
            all = [.. _peers.Values];
        }
        foreach (var peer in all)
        {
            peer.Dispose();
        }
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Address} ({NodeId}, {Direction})")]
    private static partial void LogConnected(ILogger logger, PeerAddress address, string nodeId, string direction);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected from {Address}: {Why}")]
    private static partial void LogDisconnected(ILogger logger, PeerAddress address, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Banned {Address} (calls from {Endpoint}): {Why}")]
    private static partial void LogBanned(ILogger logger, PeerAddress address, string endpoint, string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not connect to {Address}: {Why}")]
    private static partial void LogConnectFailed(ILogger logger, PeerAddress address, string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Fetching from {Address} failed: {Why}")]
    private static partial void LogFetchFailed(ILogger logger, PeerAddress address, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catch-up from {Address} brought nothing new ({Why}): paused for {Seconds} s")]
    private static partial void LogSyncPaused(ILogger logger, PeerAddress address, string why, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound peer claiming {Address} is not verified: {Why}")]
    private static partial void LogNotVouched(ILogger logger, PeerAddress address, string why);
}
