using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Measurement;
using LedgerContrast.TestSupport;

namespace LedgerContrast.Contrast.Tests.Lab;

/// <summary>The lab's bank load against a real bank process: what it counts is what the ledger did.</summary>
public sealed class BankLabTests : IDisposable
{
    private readonly string _root = TempDirectory.NewPath("lc-banklab-");
    private readonly List<GrpcChannel> _channels = [];

    [Fact]
    public async Task A_second_load_on_the_same_customers_makes_new_transfers_not_replays_of_the_first_ones_keys()
    {
        var token = "test-admin-" + Guid.NewGuid().ToString("N");
        using var server = await ServerProcess.StartAsync("bank.dll", ["serve", "--port", "0", "--data", _root], new() { ["BANK_ADMIN_TOKEN"] = token });
        var bank = new ProcessBank(server.Url, token, _channels, server.Pid);
        var customers = await BankLab.NewCustomersAsync(bank, "ld", 2, 1_000_000);
        var payee = customers[1].AccountId;
        long Balance() => bank.RequireAdmin().GetBalance(new GetBalanceRequest { AccountId = payee }).Balance;

        foreach (var round in new[] { 1, 2 })
        {
            var before = Balance();
            var (ok, _, _) = await BankLab.TransferLoadAsync(bank, customers, 1, TimeSpan.FromMilliseconds(300));
            Assert.True(ok > 0, $"round {round}: no transfer succeeded");
            // A replayed key answers the first outcome and moves nothing: the balance would lag the count.
            Assert.Equal(before + ok, Balance());
        }
    }

    [ProcFact]
    public async Task A_fresh_banks_warm_up_goes_on_until_the_servers_compiler_has_settled_so_the_first_measured_load_measures_the_bank()
    {
        var token = "test-admin-" + Guid.NewGuid().ToString("N");
        using var server = await ServerProcess.StartAsync("bank.dll", ["serve", "--port", "0", "--data", _root], new() { ["BANK_ADMIN_TOKEN"] = token });
        var bank = new ProcessBank(server.Url, token, _channels, server.Pid);
        var customers = await BankLab.NewCustomersAsync(bank, "wu", 17, 1_000_000_000);
        var warmUp = await BankLab.WarmUpAsync(bank, customers, 16);
        // Two slices at least (a steady rate is two slices alike), at most the bound and one slice more.
        Assert.InRange(warmUp.Seconds, 2 * BankLab.WarmUpSlice.TotalSeconds, (BankLab.MaxWarmUp + BankLab.WarmUpSlice).TotalSeconds + 5);
        var before = JitCompiler.Read(server.Pid);
        var (ok, _, _) = await BankLab.TransferLoadAsync(bank, customers, 16, BankLab.WarmUpSlice); // a slice as long as the first one
        var after = JitCompiler.Read(server.Pid);
        Assert.True(ok > 0, "no transfer succeeded after the warm-up");
        var share = (after.Compiler!.Value - before.Compiler!.Value) / (after.Cpu!.Value - before.Cpu!.Value);
        // The first measured slice after the warm-up spends a smaller share of the server's CPU
        // compiling than the warm-up's first slice did (a cold server spends a quarter to four fifths).
        // Tier-up can still come in bursts after a settled slice (43% in one second of a CI run): not zero, but less than cold.
        Assert.True(warmUp.FirstSliceCompilerShare is > 0.1, $"a fresh bank's first slice compiled only {warmUp.FirstSliceCompilerShare:P0} of its CPU");
        Assert.True(share < warmUp.FirstSliceCompilerShare, $"the server's compiler took {share:P0} of its CPU in the first slice after a {warmUp.Seconds:F1} s warm-up, against {warmUp.FirstSliceCompilerShare:P0} in its first slice");
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        TempDirectory.Delete(_root);
    }

    private sealed class ProcessBank(string url, string adminToken, List<GrpcChannel> channels, int pid) : ILabBank
    {
        public IReadOnlyList<int> ServerProcessIds => [pid];

        public BankService.BankServiceClient RequireAdmin() => Client(adminToken);

        public BankService.BankServiceClient Client(string token)
        {
            var channel = GrpcChannel.ForAddress(url);
            channels.Add(channel);
            return new BankService.BankServiceClient(channel.CreateCallInvoker().Intercept(metadata =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return metadata;
            }));
        }
    }
}
