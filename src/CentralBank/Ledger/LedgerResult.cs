namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// What the ledger answers a command: its result, or a <see cref="Rejection"/> — exactly one. The
/// one way out is <see cref="ValueOrThrow"/>: a rejection leaves the ledger as a
/// <see cref="RejectionException"/>, which the API edge maps to its status.
/// </summary>
public readonly record struct LedgerResult<T> where T : class
{
    private readonly T? _value;
    private readonly Rejection? _rejection;

    private LedgerResult(T? value, Rejection? rejection) => (_value, _rejection) = (value, rejection);

    public static implicit operator LedgerResult<T>(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    public static implicit operator LedgerResult<T>(Rejection rejection) => new(null, rejection ?? throw new ArgumentNullException(nameof(rejection)));

    public bool IsRejected => _rejection is not null;

    /// <summary>The result; a rejection is thrown as a <see cref="RejectionException"/> (the gRPC layer maps it to its status).</summary>
    public T ValueOrThrow() => _rejection is not null ? throw new RejectionException(_rejection) : _value ?? throw new InvalidOperationException("An empty ledger result.");
}
