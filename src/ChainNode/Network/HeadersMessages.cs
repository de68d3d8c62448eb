using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Node;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using BlockHeader = LedgerContrast.Shared.Chain.BlockHeader;

namespace LedgerContrast.ChainNode.Network;

/// <summary>
/// The headers exchange of PROTOCOL.md §9, both halves, for a peer's catch-up and a light client
/// alike: the request after a locator (and after the branch held of the other side), its bounded
/// answer, and the checks a reply must pass before any header of it is looked at.
/// </summary>
public static class HeadersMessages
{
    public const int MaxHeadersPerReply = 2_000;

    /// <summary>How many hashes of a locator are read (the rest is ignored): 64 reach genesis from any height a chain can have.</summary>
    public const int MaxLocatorHashes = 64;

    /// <summary>The next request: the newest header held of the other side's branch first (it sent it, so it continues from there), then our own locator.</summary>
    public static HeadersRequest Request(HeaderBranch branch, IEnumerable<Hash256> ourLocator)
    {
        ArgumentNullException.ThrowIfNull(branch);
        ArgumentNullException.ThrowIfNull(ourLocator);
        var request = new HeadersRequest { MaxHeaders = MaxHeadersPerReply };
        if (branch.Headers.Count > 0)
        {
            request.Locator.Add(branch.Last!.Hash.ToByteString());
        }
        request.Locator.AddRange(ourLocator.Take(MaxLocatorHashes - request.Locator.Count).Select(h => h.ToByteString()));
        return request;
    }

    /// <summary>The reply's headers, or why it is misbehaviour: more than were asked for, or one that does not decode.</summary>
    public static (List<BlockHeader>? Headers, string? Fault) Decode(HeadersReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Headers.Count > MaxHeadersPerReply)
        {
            return (null, $"sent {reply.Headers.Count} headers in one reply; at most {MaxHeadersPerReply} were asked for");
        }
        try
        {
            return ([.. reply.Headers.Select(ChainProto.FromProto)], null);
        }
        catch (FormatException ex)
        {
            return (null, $"sent a malformed header: {ex.Message}");
        }
    }

    /// <summary>Whether the other side may have more: the reply was whole and full.</summary>
    public static bool MayHaveMore(HeadersOutcome outcome, int received)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Verdict == HeaderVerdict.Extended && received == MaxHeadersPerReply;
    }

    /// <summary>The one answer to a headers request: active-chain headers after the locator, at most <see cref="MaxHeadersPerReply"/>.</summary>
    public static HeadersReply Answer(NodeEngine engine, HeadersRequest request)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(request);
        var max = (int)Math.Clamp(request.MaxHeaders == 0 ? MaxHeadersPerReply : request.MaxHeaders, 1, MaxHeadersPerReply);
        var reply = new HeadersReply();
        reply.Headers.AddRange(engine.HeadersAfter(request.Locator.Take(MaxLocatorHashes).Select(h => ChainProto.HashFromProto(h, "locator hash")), max).Select(h => h.ToProto()));
        return reply;
    }
}
