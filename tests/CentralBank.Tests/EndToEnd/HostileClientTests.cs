using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.CentralBank.Tests.Harness;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Rpc;
using LedgerContrast.TestSupport;

namespace LedgerContrast.CentralBank.Tests.EndToEnd;

/// <summary>Callers who do not speak the protocol, or only hold connections open.</summary>
public class HostileClientTests
{
    private static readonly Marshaller<byte[]> s_raw = Marshallers.Create(bytes => bytes, bytes => bytes);

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF })]                    // a truncated field tag
    [InlineData(new byte[] { 0x0A, 0x05, 0x61 })]                    // a string field shorter than it says
    [InlineData(new byte[] { 0x0A, 0x02, 0xC3, 0x28 })]              // a string field of invalid UTF-8
    public async Task A_garbage_body_is_refused_as_MALFORMED_before_authentication_and_the_bank_keeps_serving(byte[] body)
    {
        await using var bank = await TestBank.StartAsync();
        using var channel = GrpcChannel.ForAddress(bank.Url);
        var transfer = new Method<byte[], byte[]>(MethodType.Unary, BankService.Descriptor.FullName, "Transfer", s_raw, s_raw);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await channel.CreateCallInvoker().AsyncUnaryCall(transfer, null, new CallOptions(), body));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("MALFORMED", RpcErrors.Describe(error).Reason);
        Assert.DoesNotContain("Exception", error.Status.Detail, StringComparison.Ordinal);
        var alice = await bank.NewCustomerAsync("alice");
        Assert.Equal(7, await bank.BalanceAsync(await bank.OpenAccountAsync(alice, 7)));
    }

    [Fact]
    public async Task A_guessable_admin_token_is_refused_at_start_with_one_sentence()
    {
        var directory = TempDirectory.NewPath("lc-bank-weak-");
        try
        {
            var run = await ServerProcess.RunAsync("bank.dll", ["serve", "--port", "0", "--data", directory], new() { ["BANK_ADMIN_TOKEN"] = "a" }, TimeSpan.FromSeconds(60));

            Assert.Equal(3, run.ExitCode);
            Assert.Contains("too weak", run.Stderr);
            Assert.DoesNotContain("   at ", run.Stderr);
        }
        finally
        {
            TempDirectory.Delete(directory);
        }
    }

    [Theory]
    [InlineData("--materialize-after")]
    [InlineData("--checkpoint-pages")]
    public async Task A_count_below_one_is_refused_at_start_with_one_sentence_and_nothing_created(string option)
    {
        var directory = TempDirectory.NewPath("lc-bank-count-");
        try
        {
            var run = await ServerProcess.RunAsync("bank.dll", ["serve", "--port", "0", "--data", directory, option, "0"], [], TimeSpan.FromSeconds(60));

            Assert.Equal(3, run.ExitCode);
            Assert.Contains($"{option} must be at least 1", run.Stderr);
            Assert.DoesNotContain("   at ", run.Stderr);
            Assert.False(Directory.Exists(directory));
        }
        finally
        {
            TempDirectory.Delete(directory);
        }
    }

    [Fact]
    public async Task The_data_directory_and_ledger_files_are_readable_by_their_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Windows has ACLs, not modes; the bank sets modes only on Unix
        }
        await using var bank = await TestBank.StartAsync();
        var alice = await bank.NewCustomerAsync("alice");
        await bank.OpenAccountAsync(alice, 5);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(bank.DataDirectory));
        foreach (var file in new[] { "bank.db", "bank-log.db" }.Select(f => Path.Combine(bank.DataDirectory, f)).Where(File.Exists))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }
}

/// <summary>
/// Runs alone, after the rest of this assembly: twice in full CI runs (never in isolation, with up to
/// three cores kept busy) the flooded bank aborted with "Out of memory." (exit 134) while other tests' processes
/// ran beside it. The cause is not known; alone, the flood still proves the bound it is about.
/// </summary>
[Collection(nameof(ConnectionFloodTests))]
public class ConnectionFloodTests
{
    [PrlimitFact]
    public async Task More_idle_connections_than_file_descriptors_leave_the_bank_serving_with_only_1024()
    {
        var directory = TempDirectory.NewPath("lc-bank-idle-");
        var token = "test-admin-" + Guid.NewGuid().ToString("N");
        using var server = await ServerProcess.StartAsync("bank.dll", ["serve", "--port", "0", "--data", directory],
            new() { ["BANK_ADMIN_TOKEN"] = token }, fileDescriptorLimit: 1024);
        try
        {
            using var channel = GrpcChannel.ForAddress(server.Url);
            var headers = new Metadata { { "authorization", "Bearer " + token } };
            var admin = new BankService.BankServiceClient(channel);
            var customer = await admin.CreateCustomerAsync(new CreateCustomerRequest { Name = "alice" }, headers);
            var account = await admin.OpenAccountAsync(new OpenAccountRequest { CustomerId = customer.CustomerId }, headers);

            var port = new Uri(server.Url).Port;
            var idle = new List<TcpClient>();
            try
            {
                // The smallest flood that proves the bound: more sockets than the process has
                // descriptors (1,024), 532 more than its connection budget (1,024 − 256 reserved).
                // 2,000 made the runtime itself abort ("Out of memory.", exit 134) in one busy
                // CI run (not reproduced in isolation; cause unknown).
                for (var i = 0; i < 1_300; i++)
                {
                    var socket = new TcpClient();
                    idle.Add(socket);
                    try
                    {
                        await socket.ConnectAsync("127.0.0.1", port);
                    }
                    catch (SocketException)
                    {
                        // refused at the limit: what a protected server does
                    }
                }

                // The established client goes on: every deposit is durable (each one fsyncs its own file
                // descriptor). On a starved machine a call can lose its connection (UNAVAILABLE); the
                // client retries it with the same idempotency key, as the bank CLI does, and the audit
                // below still demands exactly 20 deposits: none lost, none applied twice.
                for (var i = 0; i < 20; i++)
                {
                    var request = new CashRequest { AccountId = account.AccountId, Amount = 1, IdempotencyKey = $"d{i}" };
                    for (var attempt = 1; ; attempt++)
                    {
                        try
                        {
                            await admin.DepositAsync(request, headers);
                            break;
                        }
                        catch (RpcException ex) when (server.HasExited)
                        {
                            var (exitCode, stderr) = await server.WaitForExitAsync(TimeSpan.FromSeconds(5));
                            Assert.Fail($"The bank exited ({exitCode}) under the connection flood: {stderr.Trim()} ({ex.Status.Detail})");
                        }
                        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && attempt < 5)
                        {
                            await Task.Delay(200 * attempt);
                        }
                    }
                }
                Assert.False(server.HasExited);
            }
            finally
            {
                idle.ForEach(socket => socket.Dispose());
            }

            // Once the idle sockets go, a new client gets in.
            var audit = await Poll.UntilSuccessAsync(async () =>
            {
                using var fresh = GrpcChannel.ForAddress(server.Url);
                return await new BankService.BankServiceClient(fresh).AuditAsync(new AuditRequest(), headers);
            }, TimeSpan.FromSeconds(30));
            Assert.True(audit.Ok, string.Join("; ", audit.Problems));
            Assert.Equal(20, audit.Issued);
        }
        finally
        {
            server.KillHard();
            TempDirectory.Delete(directory);
        }
    }
}

[CollectionDefinition(nameof(ConnectionFloodTests), DisableParallelization = true)]
public class ConnectionFloodRunsAlone;

/// <summary>A test that runs a server under `prlimit` (util-linux): skipped, saying why, where there is none.</summary>
public sealed class PrlimitFactAttribute : FactAttribute
{
    public PrlimitFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !new[] { "/usr/bin/prlimit", "/bin/prlimit" }.Any(File.Exists))
        {
            Skip = "needs prlimit (util-linux) to run the bank with a small file-descriptor limit";
        }
    }
}
