namespace LedgerContrast.CentralBank.Ledger;

/// <summary>
/// What the ledger answers a command: its result, or a <see cref="Rejection"/> — exactly one. The
/// only ways out are <see cref="Match{TOut}"/>, which makes the caller handle both, and
/// <see cref="ValueOrThrow"/>.
/// </summary>
public readonly record struct LedgerResult<T> where T : class
{
    private readonly T? _value;
    private readonly Rejection? _rejection;

    private LedgerResult(T? value, Rejection? rejection) => (_value, _rejection) = (value, rejection);

    public static implicit operator LedgerResult<T>(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    public static implicit operator LedgerResult<T>(Rejection rejection) => new(null, rejection ?? throw new ArgumentNullException(nameof(rejection)));

    public bool IsRejected => _rejection is not null;

    public TOut Match<TOut>(Func<T, TOut> succeeded, Func<Rejection, TOut> rejected)
    {
        ArgumentNullException.ThrowIfNull(succeeded);
        ArgumentNullException.ThrowIfNull(rejected);
        return _rejection is not null ? rejected(_rejection) : succeeded(_value ?? throw new InvalidOperationException("An empty ledger result."));
    }

    /// <summary>The result; a rejection is thrown as a <see cref="RejectionException"/> (the gRPC layer maps it to its status).</summary>
    public T ValueOrThrow() => Match(value => value, rejection => throw new RejectionException(rejection));
}
