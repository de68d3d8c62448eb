using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.CentralBank.Audit;
using LedgerContrast.CentralBank.Bench;
using LedgerContrast.CentralBank.Hosting;
using LedgerContrast.CentralBank.Replication;
using LedgerContrast.CentralBank.Ledger;
using LedgerContrast.CentralBank.Security;
using LedgerContrast.CentralBank.Storage;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LedgerContrast.CentralBank.Cli;

/// <summary>`bank serve`: a single server, or one replica of a replicated bank.</summary>
public static partial class BankCli
{
    private static Command ServeCommand()
    {
        var port = new Option<int>("--port") { Description = "gRPC port (0 = any free port).", DefaultValueFactory = _ => 7100 };
        var data = new Option<string>("--data") { Description = "Data directory (ledger file, admin token).", Required = true };
        var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var retention = new Option<double>("--key-retention-hours") { Description = "How long idempotency keys are kept.", DefaultValueFactory = _ => 24 };
        var minFree = new Option<long>("--min-free-mb") { Description = "Refuse writes (STORAGE_FULL) while the data disk has less free space than this.", DefaultValueFactory = _ => LedgerOptions.DefaultMinFreeBytes / MiB };
        var reserve = new Option<long>("--reserve-mb") { Description = "Disk space held back in DIR/space.reserve, released if the disk fills anyway.", DefaultValueFactory = _ => LedgerOptions.DefaultReserveBytes / MiB };
        var recentKeys = new Option<int>("--max-recent-keys") { Description = "Idempotency keys found through memory (about 28 bytes each, computed); older retained keys move to an indexed collection, slower to write.", DefaultValueFactory = _ => RecentKeys.DefaultCapacity };
        var checkpoint = new Option<int>("--checkpoint-pages") { Description = "Copy LiteDB's log into the data file once it holds this many 8 KiB pages.", DefaultValueFactory = _ => BankDatabase.DefaultCheckpointPages };
        var materializeAfter = new Option<int>("--materialize-after") { Description = "Write an account's balance to its document once this many journal entries have passed since it changed (start-up replays about this many).", DefaultValueFactory = _ => Materialization.DefaultAfterEntries };
        var replicas = new Option<string?>("--replicas") { Description = "Run as one replica of a replicated bank (Raft): every replica's host:port, in the same order on each (the Raft port is the gRPC port + 1000, or give host:port/raftPort). --port and --host come from this replica's entry." };
        var replica = new Option<int>("--replica") { Description = "Which entry of --replicas this process is (1-based)." };
        var election = new Option<int>("--election-timeout-ms") { Description = "Replicated bank: a follower that hears nothing from the leader for 1-2x this long starts an election.", DefaultValueFactory = _ => new RaftTimings().LowerElectionTimeoutMs };
        var adminTokenFile = new Option<string?>("--admin-token-file") { Description = "Read the admin token from this file (a replicated bank needs the same one on every replica; else $BANK_ADMIN_TOKEN)." };
        RequireAtLeastOne(checkpoint);
        RequireAtLeastOne(materializeAfter);
        RequireAtLeastOne(election);
        var command = new Command("serve", "Run the bank server.") { port, data, host, retention, minFree, reserve, recentKeys, checkpoint, materializeAfter, replicas, replica, election, adminTokenFile };
        command.SetAction(async (parse, cancellation) =>
        {
            ReplicaSet? set = null;
            var (listenHost, listenPort) = (parse.GetValue(host)!, parse.GetValue(port));
            string? adminToken = null;
            try
            {
                if (parse.GetValue(adminTokenFile) is { } tokenPath)
                {
                    adminToken = (await File.ReadAllTextAsync(tokenPath, cancellation).ConfigureAwait(false)).Trim();
                }
                if (parse.GetValue(replicas) is { } list)
                {
                    set = ReplicaSet.Parse(list);
                    var self = parse.GetValue(replica);
                    if (self < 1 || self > set.Count)
                    {
                        throw new FormatException($"--replica must name one of the {set.Count} replicas (1 to {set.Count}).");
                    }
                    if (adminToken is null && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Tokens.AdminEnvironmentVariable)))
                    {
                        throw new FormatException($"A replicated bank needs the same admin token on every replica: give --admin-token-file or set {Tokens.AdminEnvironmentVariable}.");
                    }
                    (listenHost, listenPort) = (set.Replicas[self - 1].Host, set.Replicas[self - 1].GrpcPort);
                }
                else if (parse.GetValue(replica) != 0)
                {
                    throw new FormatException("--replica needs --replicas.");
                }
            }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"The bank could not start: {ex.Message}").ConfigureAwait(false);
                return CliOutput.BadInput;
            }
            var options = new BankServerOptions
            {
                DataDirectory = parse.GetValue(data)!,
                Port = listenPort,
                Host = listenHost,
                Replicas = set,
                Replica = parse.GetValue(replica),
                RaftTimings = new RaftTimings(parse.GetValue(election), 2 * parse.GetValue(election)),
                AdminToken = adminToken,
                IdempotencyKeyRetention = TimeSpan.FromHours(parse.GetValue(retention)),
                MinFreeBytes = Math.Max(0, parse.GetValue(minFree)) * MiB,
                ReserveBytes = Math.Max(0, parse.GetValue(reserve)) * MiB,
                MaxRecentKeys = Math.Max(0, parse.GetValue(recentKeys)),
                CheckpointPages = parse.GetValue(checkpoint),
                MaterializeAfterEntries = parse.GetValue(materializeAfter),
                MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
            };
            WebApplication app;
            try
            {
                app = BankServer.Build(options);
                await app.StartAsync(cancellation).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
            {
                await Console.Error.WriteLineAsync($"The bank could not start: {ex.Message}").ConfigureAwait(false);
                return CliOutput.Unreachable;
            }
            catch (WeakAdminTokenException ex)
            {
                await Console.Error.WriteLineAsync($"The bank could not start: {ex.Message}").ConfigureAwait(false);
                return CliOutput.BadInput;
            }
            await using (app.ConfigureAwait(false))
            {
                var role = set is null ? "" : $" as replica {options.Replica} of {set.Count} (Raft on port {set.Replicas[options.Replica - 1].RaftPort})";
                await Console.Out.WriteLineAsync($"CentralBank listening on {string.Join(", ", app.Urls)}{role} (data: {Path.GetFullPath(options.DataDirectory)})").ConfigureAwait(false);
                await app.WaitForShutdownAsync(cancellation).ConfigureAwait(false);
                if (app.Services.GetRequiredService<Ledger.BankLedger>().Fatal is { } fatal)
                {
                    await Console.Error.WriteLineAsync($"The bank stopped after a storage fault ({fatal.Message}); restart it to recover from the file.").ConfigureAwait(false);
                    return StoppedAfterStorageFault;
                }
            }
            return 0;
        });
        return command;
    }
}
