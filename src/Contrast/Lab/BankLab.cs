using LedgerContrast.Protos.Bank.V1;

namespace LedgerContrast.Contrast.Lab;

public sealed record LabCustomer(string Name, string CustomerId, string AccountId, string Token);

/// <summary>What the scenarios do at the bank: fresh customers with known balances, so every run starts clean.</summary>
public static class BankLab
{
    public static async Task<LabCustomer> NewCustomerAsync(LabNetwork lab, string name, long deposit)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var admin = lab.RequireAdmin();
        var unique = $"{name}-{Guid.NewGuid().ToString("N")[..6]}";
        var customer = await admin.CreateCustomerAsync(new CreateCustomerRequest { Name = unique });
        var account = await admin.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId });
        if (deposit > 0)
        {
            await admin.DepositAsync(new CashRequest { AccountId = account.AccountId, Amount = deposit, IdempotencyKey = Guid.NewGuid().ToString("N") });
        }
        return new LabCustomer(unique, customer.CustomerId, account.AccountId, customer.Token);
    }

    /// <summary>One transfer of 1 minor unit; "ok" or the refusal's reason (a client that must not throw while it measures).</summary>
    public static async Task<string> TransferOutcomeAsync(BankService.BankServiceClient client, LabCustomer from, LabCustomer to, string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        try
        {
            await client.TransferAsync(new TransferRequest { FromAccountId = from.AccountId, ToAccountId = to.AccountId, Amount = 1, IdempotencyKey = idempotencyKey }, deadline: DateTime.UtcNow.AddSeconds(2));
            return "ok";
        }
        catch (Grpc.Core.RpcException ex)
        {
            return Shared.Rpc.RpcErrors.Describe(ex).Reason;
        }
    }
}
