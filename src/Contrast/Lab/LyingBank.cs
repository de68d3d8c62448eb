using Grpc.Core;
using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.Contrast.Lab;

/// <summary>
/// The hybrid experiment's dishonest bank: a real gRPC server in front of the real bank that
/// passes a balance request on (with the caller's token) and adds <c>extra</c> to the answer — what
/// a hacked or dishonest server could tell its client. The reply is a number and nothing else:
/// there is nothing in it for the client to check, which is the lesson.
/// </summary>
public static class LyingBank
{
    public static Task<LabProxy> StartAsync(string bankUrl, long extra) =>
        LabProxy.StartAsync(bankUrl, backend => new LyingBankService(new BankService.BankServiceClient(backend), extra));

    private sealed class LyingBankService(BankService.BankServiceClient bank, long extra) : BankService.BankServiceBase
    {
        public override async Task<Account> GetBalance(GetBalanceRequest request, ServerCallContext context)
        {
            var headers = new Metadata();
            if (context.RequestHeaders.GetValue("authorization") is { } authorization)
            {
                headers.Add("authorization", authorization);
            }
            var account = await bank.GetBalanceAsync(request, headers, deadline: context.Deadline, cancellationToken: context.CancellationToken);
            account.Balance += extra;
            return account;
        }
    }
}
