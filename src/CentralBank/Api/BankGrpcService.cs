using LedgerContrast.CentralBank.Audit;
using Grpc.Core;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.CentralBank.Replication;
using LedgerContrast.CentralBank.Security;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.CentralBank.Api;

/// <summary>The bank's public API: authenticate, validate, queue for the writer, answer.</summary>
/// <para>
/// A replicated bank's follower answers every write and every read without <c>stale_ok</c> with
/// NOT_LEADER before it looks at the request: its state may lag, so it judges nothing on it.
/// </para>
public sealed class BankGrpcService(BankLedger ledger, Authenticator authenticator, ReplicaRole replica) : BankService.BankServiceBase
{
    public const int MaxPageSize = 500;

    public override async Task<CreateCustomerReply> CreateCustomer(CreateCustomerRequest request, ServerCallContext context)
    {
        ledger.RequireWritable();
        Authenticator.RequireAdmin(authenticator.Authenticate(context));
        var name = RequestValidation.Name(request.Name);
        var token = Tokens.NewCustomerToken();
        var created = await ledger.ExecuteAsync(new CreateCustomerCommand(name, Tokens.Hash(token))).ConfigureAwait(false);
        return new CreateCustomerReply { CustomerId = created.CustomerId, Token = token };
    }

    public override async Task<Account> OpenAccount(OpenAccountRequest request, ServerCallContext context)
    {
        ledger.RequireWritable();
        Authenticator.RequireAdmin(authenticator.Authenticate(context));
        var customerId = RequestValidation.Id(request.CustomerId, "customer id");
        var opened = await ledger.ExecuteAsync(new OpenAccountCommand(customerId)).ConfigureAwait(false);
        return new Account { AccountId = opened.AccountId, CustomerId = opened.CustomerId, Balance = 0 };
    }

    public override Task<EntryReply> Deposit(CashRequest request, ServerCallContext context) => Cash(EntryKinds.Deposit, request, context);

    public override Task<EntryReply> Withdraw(CashRequest request, ServerCallContext context) => Cash(EntryKinds.Withdrawal, request, context);

    private async Task<EntryReply> Cash(string kind, CashRequest request, ServerCallContext context)
    {
        ledger.RequireWritable();
        var principal = authenticator.Authenticate(context);
        Authenticator.RequireAdmin(principal);
        var command = new CashCommand(
            kind,
            RequestValidation.Id(request.AccountId, "account id"),
            RequestValidation.Amount(request.Amount),
            principal,
            RequestValidation.IdempotencyKey(request.IdempotencyKey, required: true));
        return ToReply(await ledger.ExecuteAsync(command).ConfigureAwait(false));
    }

    public override async Task<EntryReply> Transfer(TransferRequest request, ServerCallContext context)
    {
        ledger.RequireWritable();
        var principal = authenticator.Authenticate(context);
        var from = RequestValidation.Id(request.FromAccountId, "source account id");
        Authenticator.RequireAccountAccess(principal, ledger.State, from);
        var command = new TransferCommand(
            from,
            RequestValidation.Id(request.ToAccountId, "destination account id"),
            RequestValidation.Amount(request.Amount),
            principal,
            RequestValidation.IdempotencyKey(request.IdempotencyKey, required: true));
        return ToReply(await ledger.ExecuteAsync(command).ConfigureAwait(false));
    }

    public override async Task<Account> GetBalance(GetBalanceRequest request, ServerCallContext context)
    {
        await ledger.BeforeReadAsync(request.StaleOk, context.CancellationToken).ConfigureAwait(false);
        var principal = authenticator.Authenticate(context);
        var account = Authenticator.RequireAccountAccess(principal, ledger.State, RequestValidation.Id(request.AccountId, "account id"));
        return new Account { AccountId = account.AccountId, CustomerId = account.CustomerId, Balance = account.Balance };
    }

    public override async Task<GetHistoryReply> GetHistory(GetHistoryRequest request, ServerCallContext context)
    {
        await ledger.BeforeReadAsync(request.StaleOk, context.CancellationToken).ConfigureAwait(false);
        var principal = authenticator.Authenticate(context);
        var accountId = RequestValidation.Id(request.AccountId, "account id");
        Authenticator.RequireAccountAccess(principal, ledger.State, accountId);
        var pageSize = request.PageSize == 0 ? 50 : (int)Math.Min(request.PageSize, MaxPageSize);
        var page = ledger.History(accountId, (long)Math.Min(request.BeforeSequence, long.MaxValue / 10), pageSize + 1);
        var reply = new GetHistoryReply();
        foreach (var posting in page.Take(pageSize))
        {
            reply.Postings.Add(new Posting
            {
                Sequence = (ulong)posting.Sequence,
                EntryId = LedgerIds.Entry(posting.Sequence),
                Kind = posting.Kind,
                Amount = posting.Amount,
                CounterpartyAccountId = posting.Counterparty,
                CommittedMs = (ulong)posting.TimeMs,
                ReversesEntryId = posting.ReversesEntryId,
            });
        }
        reply.NextBeforeSequence = page.Count > pageSize ? (ulong)page[pageSize - 1].Sequence : 0;
        return reply;
    }

    public override async Task<EntryReply> Reverse(ReverseRequest request, ServerCallContext context)
    {
        ledger.RequireWritable();
        var principal = authenticator.Authenticate(context);
        Authenticator.RequireAdmin(principal);
        var command = new ReverseCommand(RequestValidation.Id(request.EntryId, "entry id"), RequestValidation.Memo(request.Reason), request.Force, principal);
        return ToReply(await ledger.ExecuteAsync(command).ConfigureAwait(false));
    }

    public override async Task<AuditReply> Audit(AuditRequest request, ServerCallContext context)
    {
        Authenticator.RequireAdmin(authenticator.Authenticate(context));
        var report = await ledger.AuditAsync(RequestValidation.Anchor(request.ExpectSequence, request.ExpectHash)).ConfigureAwait(false);
        var reply = new AuditReply
        {
            Ok = report.Ok,
            Entries = (ulong)report.Entries,
            TotalBalances = AuditReport.Saturate(report.CustomerBalances),
            Issued = AuditReport.Saturate(report.Issued),
            FirstBrokenSequence = (ulong)report.FirstBrokenSequence,
            HeadSequence = (ulong)report.HeadSequence,
            HeadHash = report.HeadHash,
        };
        reply.Problems.AddRange(report.Problems);
        return reply;
    }

    public override Task<ReplicaStatus> GetReplicaStatus(ReplicaStatusRequest request, ServerCallContext context)
    {
        var state = replica.Replication?.Describe(ledger.AppliedIndex);
        var reply = new ReplicaStatus
        {
            Role = state?.Role ?? "single",
            Replica = (uint)(state?.Replica ?? 0),
            Term = (ulong)(state?.Term ?? 0),
            CommitIndex = (ulong)(state?.CommitIndex ?? 0),
            AppliedIndex = (ulong)(state?.AppliedIndex ?? 0),
            LastIndex = (ulong)(state?.LastIndex ?? 0),
            Leader = state?.Leader ?? "",
            HeadSequence = (ulong)ledger.State.LastSequence,
            HeadHash = ledger.State.LastHash,
        };
        reply.Replicas.AddRange(replica.Replication?.Replicas.Replicas.Select(r => r.GrpcUrl) ?? []);
        return Task.FromResult(reply);
    }

    private static EntryReply ToReply(EntryCommitted committed) => new()
    {
        EntryHash = committed.EntryHash,
        EntryId = committed.EntryId,
        Sequence = (ulong)committed.Sequence,
        FromBalance = committed.FromBalance,
        ToBalance = committed.ToBalance,
        CommittedMs = (ulong)committed.CommittedMs,
    };
}
