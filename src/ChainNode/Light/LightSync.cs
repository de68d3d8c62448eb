namespace LedgerContrast.ChainNode.Light;

/// <summary>
/// What one light sync found: the header verdict per node, the filter-header agreement, every
/// node caught lying (with what was caught), the blocks that hold the wallet's keys (null when no
/// honest node could be read: <see cref="Failure"/> says why), and how many attempts it took.
/// </summary>
public sealed record LightSyncOutcome(IReadOnlyList<HeaderVerdictOfNode> Headers, FilterHeaderVerdict? Agreement, IReadOnlyDictionary<string, string> Liars,
    List<VerifiedBlock>? Matches, long FilterBytes, int Attempts, string? Failure);

/// <summary>
/// A light wallet's sync: headers from every node (most work, checked here), filter headers agreed
/// across them, filters read from a node not caught and matching blocks fetched. The nodes' chain
/// may move under it — a new block, or a tip replaced by a competing one (blocks a second apart
/// race) — and a node then answers for another block than the wallet's chain holds: that is no
/// lie, so the sync starts again from the headers, at most <see cref="MaxAttempts"/> times.
/// </summary>
public static class LightSync
{
    public const int MaxAttempts = 3;

    public static async Task<LightSyncOutcome> RunAsync(LightHeaders headers, IReadOnlyList<LightSource> nodes, IReadOnlyList<byte[]> keys, Func<ulong> clock,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        for (var attempt = 1; ; attempt++)
        {
            var verdicts = await HeaderSync.SyncAsync(headers, nodes, clock, cancellation).ConfigureAwait(false);
            FilterHeaderVerdict agreement;
            try
            {
                agreement = await FilterSync.AgreeAsync(headers, nodes, cancellation).ConfigureAwait(false);
            }
            catch (OtherChainException) when (attempt < MaxAttempts)
            {
                continue;
            }
            catch (Exception ex) when (ex is InvalidDataException or OtherChainException)
            {
                return new LightSyncOutcome(verdicts, null, new Dictionary<string, string>(), null, 0, attempt, $"No node's filter headers hold: {ex.Message.TrimEnd('.')}");
            }
            var liars = new Dictionary<string, string>(agreement.Liars);
            var moved = new List<string>();
            foreach (var reader in nodes.Where(s => agreement.Honest.Contains(s.Name)))
            {
                try
                {
                    var (matches, filterBytes) = await FilterSync.MatchAsync(headers, agreement.Agreed, reader, 0, keys, cancellation).ConfigureAwait(false);
                    return new LightSyncOutcome(verdicts, agreement, liars, matches, filterBytes, attempt, null);
                }
                catch (InvalidDataException ex)
                {
                    liars[reader.Name] = ex.Message.TrimEnd('.');
                }
                catch (OtherChainException ex)
                {
                    moved.Add(ex.Message.TrimEnd('.'));
                }
            }
            if (moved.Count > 0 && attempt < MaxAttempts)
            {
                continue;
            }
            var caught = liars.Select(l => $"{l.Key}: {l.Value}").Concat(moved);
            return new LightSyncOutcome(verdicts, agreement, liars, null, 0, attempt,
                moved.Count > 0 ? $"The nodes' chain moved under each of {attempt} attempts ({string.Join("; ", caught)})" : $"Every node asked was caught: {string.Join("; ", caught)}");
        }
    }
}
