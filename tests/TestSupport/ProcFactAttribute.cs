using Xunit;

namespace LedgerContrast.TestSupport;

/// <summary>A test that reads a process's state from /proc (resident memory, threads' CPU time): skipped, saying why, where there is none.</summary>
public sealed class ProcFactAttribute : FactAttribute
{
    public ProcFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "reads a process's state from /proc (Linux only)";
        }
    }
}
