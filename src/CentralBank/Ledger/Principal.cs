namespace LedgerContrast.CentralBank.Ledger;

/// <summary>Who is asking: the admin (teller) or one customer. Idempotency keys are scoped to it.</summary>
public sealed record Principal(bool IsAdmin, string? CustomerId)
{
    public static Principal Admin { get; } = new(true, null);
    public string Scope => IsAdmin ? "admin" : CustomerId!;
}
