using LedgerContrast.TestSupport;

namespace LedgerContrast.Contrast.Tests.EndToEnd;

/// <summary>`contrast watch` as a process: it stops when asked, the way a terminal or a supervisor asks.</summary>
public sealed class WatchProcessTests : IDisposable
{
    private readonly string _directory = Directory.CreateDirectory(TempDirectory.NewPath("lc-watchproc-")).FullName;

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task The_live_view_exits_cleanly_on_a_stop_signal(string signal)
    {
        // A network whose one node is down: the page still serves, and says so.
        var networkFile = Path.Combine(_directory, $"network-{signal}.json");
        await File.WriteAllTextAsync(networkFile, $$"""
            {"network":"lc-local","topology":"mesh","data_dir":"{{_directory}}","wallet_dir":"{{_directory}}","bank":null,
             "nodes":[{"name":"node1","url":"http://127.0.0.1:9","pid":1,"data_dir":"{{_directory}}","log":"","command":["dotnet","chain.dll","node"]}]}
            """);
        using var watch = await ServerProcess.StartAsync("contrast.dll", ["watch", "--network-file", networkFile, "--port", "0"]);

        var sent = await ExternalProcess.RunAsync("kill", [$"-{signal}", $"{watch.Pid}"]);
        Assert.Equal(0, sent.ExitCode);
        var (exitCode, stderr) = await watch.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 0, $"contrast watch exited {exitCode} after SIG{signal}: {stderr}");
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
