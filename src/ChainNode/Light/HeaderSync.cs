using Grpc.Core;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Network;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.ChainNode.Light;

/// <summary>One full node a light client asks, by the name it reports it under.</summary>
public sealed record LightSource(string Name, NodeService.NodeServiceClient Api);

/// <summary>What one node's headers came to: its chain's tip, whether it became ours, and if its headers broke a rule, which.</summary>
public sealed record HeaderVerdictOfNode(string Node, uint OfferedHeight, bool Followed, int Reorganised, string? Refused);

/// <summary>
/// A light client's header download: from every node it asks, the headers after its own locator,
/// checked as headers (<see cref="HeaderBranch"/>); a node's chain becomes its own only when it
/// carries more work than the one it has, so a node serving a lower-work or private chain is not
/// followed, and one serving a header that breaks a rule is named with the rule.
/// </summary>
public static class HeaderSync
{
    /// <summary>The most a light client holds of one node's branch before it shows more work (the full node's bound).</summary>
    public const long MaxBranchBytes = PeerManager.MaxHeaderBytesPerBranch;

    public static async Task<IReadOnlyList<HeaderVerdictOfNode>> SyncAsync(LightHeaders headers, IReadOnlyList<LightSource> nodes, Func<ulong> clock, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(clock);
        var verdicts = new List<HeaderVerdictOfNode>();
        foreach (var node in nodes)
        {
            verdicts.Add(await FromAsync(headers, node, clock, cancellation).ConfigureAwait(false));
        }
        return verdicts;
    }

    private static async Task<HeaderVerdictOfNode> FromAsync(LightHeaders headers, LightSource node, Func<ulong> clock, CancellationToken cancellation)
    {
        var budget = new HeaderBudget(MaxBranchBytes, MaxBranchBytes);
        var branch = new HeaderBranch(budget);
        var followed = false;
        var reorganised = 0;
        var offered = 0u;
        try
        {
            while (true)
            {
                HeadersReply reply;
                try
                {
                    reply = await node.Api.GetHeadersAsync(HeadersMessages.Request(branch, headers.Locator()), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellation).ConfigureAwait(false);
                }
                catch (RpcException ex)
                {
                    return new HeaderVerdictOfNode(node.Name, offered, followed, reorganised, $"unreachable or refused ({RpcErrors.Describe(ex).Reason})");
                }
                var (received, fault) = HeadersMessages.Decode(reply);
                if (received is null)
                {
                    return new HeaderVerdictOfNode(node.Name, offered, followed, reorganised, fault);
                }
                var outcome = branch.Extend(headers, received, clock());
                offered = Math.Max(offered, branch.Last?.Height ?? 0);
                switch (outcome.Verdict)
                {
                    case HeaderVerdict.Invalid:
                    case HeaderVerdict.NotConnected:
                        return new HeaderVerdictOfNode(node.Name, offered, followed, reorganised, $"{outcome.Reason}: {outcome.Detail}");
                    case HeaderVerdict.TimeFuture:
                    case HeaderVerdict.TooLong:
                    case HeaderVerdict.Extended:
                        break;
                }
                if (headers.Adopt(branch) is { } dropped)
                {
                    followed = true;
                    reorganised += dropped;
                    branch.Dispose();
                    branch = new HeaderBranch(budget); // the adopted headers are ours now; what follows grows from our tip
                }
                if (!HeadersMessages.MayHaveMore(outcome, received.Count))
                {
                    var refused = outcome.Verdict switch
                    {
                        HeaderVerdict.TimeFuture => $"{outcome.Reason}: {outcome.Detail}",
                        HeaderVerdict.TooLong => outcome.Detail,
                        HeaderVerdict.Extended or HeaderVerdict.Invalid or HeaderVerdict.NotConnected => null,
                    };
                    return new HeaderVerdictOfNode(node.Name, offered, followed, reorganised, refused);
                }
            }
        }
        finally
        {
            branch.Dispose();
        }
    }
}
