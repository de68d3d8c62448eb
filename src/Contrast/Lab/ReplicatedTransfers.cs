using System.Collections.Concurrent;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// One client of the replicated bank that follows the leader and keeps transferring (one transfer
/// at a time, 50 ms apart, 2 s deadline, a fresh idempotency key each), remembering the entry id
/// of every acknowledged transfer; afterwards <see cref="VerifyAsync"/> looks each up on every
/// replica and audits them all. The outage and manage experiments share it.
/// </summary>
public sealed class ReplicatedTransfers : IAsyncDisposable
{
    public const string Description = "1 client following the leader (NOT_LEADER redirects, retries with its idempotency key), one transfer at a time, 50 ms apart, 2 s deadline";

    private readonly ReplicatedLabBank _bank;
    private readonly ConcurrentDictionary<string, string> _acknowledged = new(StringComparer.Ordinal);
    private readonly string _payerAccount;

    private ReplicatedTransfers(ReplicatedLabBank bank, string prefix, LabCustomer payer, LabCustomer payee)
    {
        _bank = bank;
        _payerAccount = payer.AccountId;
        var client = bank.Client(payer.Token);
        var run = Guid.NewGuid().ToString("N")[..8];
        Log = new RequestLog(async n =>
        {
            var key = $"{prefix}-{run}-{n}";
            try
            {
                var reply = await client.TransferAsync(new TransferRequest { FromAccountId = payer.AccountId, ToAccountId = payee.AccountId, Amount = 1, IdempotencyKey = key }, deadline: DateTime.UtcNow.AddSeconds(2)).ConfigureAwait(false);
                _acknowledged[key] = reply.EntryId;
                return "ok";
            }
            catch (Grpc.Core.RpcException ex)
            {
                return Shared.Rpc.RpcErrors.Describe(ex).Reason;
            }
        });
    }

    /// <summary>Two new customers (the payer funded) and the client already transferring.</summary>
    public static async Task<ReplicatedTransfers> StartAsync(ReplicatedLabBank bank, string prefix)
    {
        ArgumentNullException.ThrowIfNull(bank);
        var payer = await BankLab.NewCustomerAsync(bank, $"{prefix}-alice", 1_000_00000000).ConfigureAwait(false);
        var payee = await BankLab.NewCustomerAsync(bank, $"{prefix}-bob", 0).ConfigureAwait(false);
        return new ReplicatedTransfers(bank, prefix, payer, payee);
    }

    public RequestLog Log { get; }

    public int Acknowledged => _acknowledged.Count;

    /// <summary>Stops the client (after its request in flight) and returns every request it made.</summary>
    public async Task<IReadOnlyList<(double SentMs, double DoneMs, string Outcome)>> StopAsync()
    {
        await DisposeAsync().ConfigureAwait(false);
        return Log.Entries;
    }

    /// <summary>
    /// After the replicas converged: how many acknowledged transfers some replica's journal lacks
    /// (counted per replica), whether `bank audit` passed on every replica, and the distinct
    /// anchors — written into <paramref name="result"/>'s replicated figures with their
    /// expectations (0 missing, every audit passed, one anchor); <paramref name="during"/> names
    /// what the client lived through, for the expectations' words.
    /// </summary>
    public async Task<(int Acknowledged, int Missing, bool AuditsPassed, IReadOnlyList<string> Anchors)> VerifyAsync(Scenarios.ScenarioResult result, string during)
    {
        ArgumentNullException.ThrowIfNull(result);
        var missing = 0;
        foreach (var url in _bank.Urls)
        {
            var ids = await _bank.EntryIdsAsync(url, _payerAccount).ConfigureAwait(false);
            missing += _acknowledged.Values.Count(id => !ids.Contains(id));
        }
        var (passed, anchors) = await _bank.AuditEveryReplicaAsync().ConfigureAwait(false);
        result.Replicated["acknowledged_transfers"] = Acknowledged;
        result.Replicated["acknowledged_missing_on_a_replica"] = missing;
        result.Replicated["audit_every_replica_ok"] = passed;
        result.Replicated["journal_anchors"] = anchors;
        result.Replicated["client"] = Description;
        result.Expect(missing == 0, $"replicated bank: {missing} acknowledged transfers were missing from a replica's journal after {during}");
        result.Expect(passed && anchors.Count == 1, $"replicated bank: after {during} the audit failed on a replica, or the replicas' journals differ ({string.Join(", ", anchors)})");
        return (Acknowledged, missing, passed, anchors);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await Log.DisposeAsync().ConfigureAwait(false);
        }
    }

    private int _stopped;
}
