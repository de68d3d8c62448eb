namespace LedgerContrast.CentralBank.Ledger;

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
