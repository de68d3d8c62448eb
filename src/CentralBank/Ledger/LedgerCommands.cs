namespace LedgerContrast.CentralBank.Ledger;

/// <summary>Who is asking: the admin (teller) or one customer. Idempotency keys are scoped to it.</summary>
public sealed record Principal(bool IsAdmin, string? CustomerId)
{
    public static Principal Admin { get; } = new(true, null);
    public string Scope => IsAdmin ? "admin" : CustomerId!;
}

/// <summary>
/// A request queued for the single ledger writer thread. The writer sees only this untyped face:
/// run it inside the batch's transaction (the outcome is held back), then answer once the batch is
/// durable, or refuse it outright. Each concrete command fixes its result type, so a caller can
/// only ever receive the <see cref="LedgerResult{T}"/> its command produces.
/// </summary>
public abstract record LedgerCommand
{
    internal abstract void Execute(CommandExecutor executor);

    /// <summary>Delivers the outcome <see cref="Execute"/> recorded: called once the batch is durable.</summary>
    internal abstract void Answer();

    internal abstract void Refuse(Rejection rejection);

    /// <summary>Delivers the outcome another copy of this command recorded (the one decoded from the replicated log).</summary>
    internal abstract void AnswerFrom(LedgerCommand executed);
}

/// <summary>A command whose success is a <typeparamref name="TResult"/>.</summary>
public abstract record LedgerCommand<TResult> : LedgerCommand where TResult : class
{
    private readonly TaskCompletionSource<LedgerResult<TResult>> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LedgerResult<TResult> _outcome;

    internal Task<LedgerResult<TResult>> Outcome => _completion.Task;

    internal sealed override void Execute(CommandExecutor executor)
    {
        try
        {
            _outcome = Run(executor);
        }
        catch (RejectionException rejected)
        {
            _outcome = rejected.Rejection;
        }
    }

    /// <summary>Does the work inside the transaction; a refusal is thrown as a <see cref="RejectionException"/>.</summary>
    private protected abstract LedgerResult<TResult> Run(CommandExecutor executor);

    internal sealed override void Answer() => _completion.TrySetResult(_outcome);

    internal sealed override void Refuse(Rejection rejection) => _completion.TrySetResult(rejection);

    internal sealed override void AnswerFrom(LedgerCommand executed) =>
        _completion.TrySetResult(executed is LedgerCommand<TResult> same ? same._outcome
            : throw new InvalidOperationException($"A {GetType().Name} was answered from a {executed.GetType().Name}."));
}

public sealed record CreateCustomerCommand(string Name, string TokenHash) : LedgerCommand<CustomerCreated>
{
    private protected override LedgerResult<CustomerCreated> Run(CommandExecutor executor) => executor.CreateCustomer(this);
}

public sealed record OpenAccountCommand(string CustomerId) : LedgerCommand<AccountOpened>
{
    private protected override LedgerResult<AccountOpened> Run(CommandExecutor executor) => executor.OpenAccount(this);
}

/// <summary>Deposit (cash in) or withdrawal (cash out) at the teller.</summary>
public sealed record CashCommand(string Kind, string AccountId, long Amount, Principal Principal, string IdempotencyKey) : LedgerCommand<EntryCommitted>
{
    private protected override LedgerResult<EntryCommitted> Run(CommandExecutor executor) => executor.Cash(this);
}

public sealed record TransferCommand(string FromAccountId, string ToAccountId, long Amount, Principal Principal, string IdempotencyKey) : LedgerCommand<EntryCommitted>
{
    private protected override LedgerResult<EntryCommitted> Run(CommandExecutor executor) => executor.Transfer(this);
}

public sealed record ReverseCommand(string EntryId, string Memo, bool Force, Principal Principal) : LedgerCommand<EntryCommitted>
{
    private protected override LedgerResult<EntryCommitted> Run(CommandExecutor executor) => executor.Reverse(this);
}

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

public sealed record CustomerCreated(string CustomerId);

public sealed record AccountOpened(string AccountId, string CustomerId);

/// <summary>
/// A committed money movement, as the client is told (and told again on an idempotent retry).
/// <paramref name="EntryHash"/> is the journal's hash at this entry: the client's anchor, which
/// `bank audit --expect` later checks the file against.
/// </summary>
public sealed record EntryCommitted(string EntryId, long Sequence, long FromBalance, long ToBalance, long CommittedMs, string EntryHash);
