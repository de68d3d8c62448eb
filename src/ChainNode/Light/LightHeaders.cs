using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Light;

/// <summary>
/// A light client's own header chain (the hybrid model, PROTOCOL.md §9): the most-work chain of
/// headers it has checked itself — proof of work, the retarget rule, median time, linking — from
/// genesis, which it derives from the network's parameters like any node. It holds headers only,
/// 88 bytes a block on disk (<c>headers.dat</c>: the chain after genesis, in order), and trusts
/// no node's word for any of them: a node's headers become its chain only as a
/// <see cref="HeaderBranch"/> with strictly more work.
/// </summary>
public sealed class LightHeaders : IHeaderChain
{
    public const string FileName = "headers.dat";
    private readonly List<BlockIndexEntry> _chain = [];
    private readonly Dictionary<Hash256, BlockIndexEntry> _byHash = [];
    private readonly string _path;

    /// <summary>Opens the chain in <paramref name="directory"/> (genesis only if there is none yet); <see cref="InvalidDataException"/> if the file is not a valid chain of this network.</summary>
    public LightHeaders(ChainParameters parameters, string directory)
    {
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, FileName);
        Append(new BlockIndexEntry(Genesis.Create(parameters).Header, 0, null, 0));
        if (File.Exists(_path))
        {
            Load();
        }
    }

    public ChainParameters Parameters { get; }

    /// <summary>The network's id (its genesis hash), which signatures commit to.</summary>
    public Hash256 NetworkId => _chain[0].Hash;

    public BlockIndexEntry Tip => _chain[^1];
    public IReadOnlyList<BlockIndexEntry> Chain => _chain;

    /// <summary>Bytes on disk: what keeping this chain costs the light client.</summary>
    public long FileBytes => File.Exists(_path) ? new FileInfo(_path).Length : 0;

    public BlockIndexEntry? Find(Hash256 hash) => _byHash.GetValueOrDefault(hash);

    public uint NextBits(BlockIndexEntry parent) => HeaderRules.NextBits(parent, Parameters);

    public ulong MedianTimePast(BlockIndexEntry entry) => HeaderRules.MedianTimePast(entry, Parameters);

    /// <summary>A light client remembers no refused blocks: a header that breaks a rule is refused again.</summary>
    public string? RejectedReason(Hash256 hash) => null;

    public IReadOnlyList<Hash256> Locator() => HeaderRules.Locator(_chain);

    /// <summary>
    /// Makes <paramref name="branch"/> this chain if it carries strictly more work (first seen wins
    /// ties), cutting back to where it forks, and saves it. Returns how many blocks were given up.
    /// </summary>
    public int? Adopt(HeaderBranch branch)
    {
        ArgumentNullException.ThrowIfNull(branch);
        if (!branch.HasMoreWorkThan(Tip) || branch.Headers.Count == 0)
        {
            return null;
        }
        var fork = branch.Headers[0].Parent ?? throw new InvalidOperationException("A branch grows from a header this chain holds.");
        if (Find(fork.Hash) != fork)
        {
            throw new InvalidOperationException($"The branch grows from {fork.Hash}, which is not on this chain.");
        }
        var dropped = (int)(Tip.Height - fork.Height);
        while (Tip != fork)
        {
            _byHash.Remove(Tip.Hash);
            _chain.RemoveAt(_chain.Count - 1);
        }
        foreach (var header in branch.Headers)
        {
            Append(header);
        }
        Save();
        return dropped;
    }

    private void Append(BlockIndexEntry entry)
    {
        _chain.Add(entry);
        _byHash[entry.Hash] = entry;
    }

    /// <summary>Written whole to a temporary file, flushed to disk, then renamed over the old one: a crash leaves the old chain or the new, never half of one.</summary>
    private void Save()
    {
        var temporary = _path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            foreach (var entry in _chain.Skip(1))
            {
                file.Write(entry.Header.Encode());
            }
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
    }

    private void Load()
    {
        var bytes = File.ReadAllBytes(_path);
        if (bytes.Length % BlockHeader.EncodedSize != 0)
        {
            throw new InvalidDataException($"{_path} is not a whole number of {BlockHeader.EncodedSize}-byte headers; move it away and sync again.");
        }
        for (var offset = 0; offset < bytes.Length; offset += BlockHeader.EncodedSize)
        {
            var header = BlockHeader.Decode(bytes.AsSpan(offset, BlockHeader.EncodedSize));
            if (header.PreviousHash != Tip.Hash || header.Bits != NextBits(Tip))
            {
                throw new InvalidDataException($"{_path} does not hold a chain of {Parameters.Network} at height {Tip.Height + 1}; move it away and sync again.");
            }
            try
            {
                BlockRules.CheckProofOfWork(header, Parameters);
            }
            catch (ConsensusException ex)
            {
                throw new InvalidDataException($"{_path} holds a header that fails its proof of work at height {Tip.Height + 1} ({ex.Reason}); move it away and sync again.", ex);
            }
            Append(new BlockIndexEntry(header, Tip.Height + 1, Tip, 0));
        }
    }
}
