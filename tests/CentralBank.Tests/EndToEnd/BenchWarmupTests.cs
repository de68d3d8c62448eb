using System.Diagnostics;
using LedgerContrast.CentralBank.Bench;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

/// <summary>The bench warms a bank up until its JIT compiler has settled: that needs the compiler's CPU time, read from /proc.</summary>
public class BenchWarmupTests
{
    [Fact]
    public async Task The_jit_compilers_cpu_time_is_read_and_is_part_of_the_process_cpu()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // no /proc: the bench falls back to the fixed warm-up
        }
        // Calls enough to make the runtime compile this method again, optimised, on its compiler thread.
        var deadline = Stopwatch.StartNew();
        TimeSpan? compiler;
        var sum = 0L;
        while ((compiler = BenchServer.CompilerCpuTime(Environment.ProcessId)) is not { Ticks: > 0 } && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            for (var i = 0; i < 1_000; i++)
            {
                sum += Work(i);
            }
            await Task.Delay(50);
        }

        GC.KeepAlive(sum); // the loop may not run at all: the compiler thread has often run already
        Assert.NotNull(compiler);
        Assert.True(compiler > TimeSpan.Zero, "the compiler thread has run");
        Assert.True(compiler <= Process.GetCurrentProcess().TotalProcessorTime, $"{compiler} is more than the whole process used: wrong fields");
    }

    private static long Work(int i) => (i * 31L) ^ (i >> 3) | 1;
}
