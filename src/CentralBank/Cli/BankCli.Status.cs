using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Cli;
using Spectre.Console;

namespace LedgerContrast.CentralBank.Cli;

/// <summary>`bank status`: what each replica says of itself — role, term, commit and applied index, lag, journal head.</summary>
public static partial class BankCli
{
    private static Command StatusCommand()
    {
        var command = new Command("status", "Show each bank replica's role, Raft term, commit index, applied index, lag and journal head (a single server shows role 'single'). Exit 2 if none answers.");
        command.SetAction(parse =>
        {
            var output = new CliOutput(parse.GetValue(s_json));
            var server = ServerUrl(parse, BankProfile.Load(parse.GetValue(s_profile) ?? BankProfile.DefaultPath));
            return output.RunAsync("bank", () => server, async () =>
            {
                var urls = BankClient.Split(server);
                var rows = await Task.WhenAll(urls.Select(AskAsync)).ConfigureAwait(false);
                var known = rows.Where(r => r.Status is not null).Select(r => r.Status!).ToList();
                if (known.Count == 0)
                {
                    return output.Fail(CliOutput.Unreachable, "UNAVAILABLE", $"No bank replica answered at {server}.");
                }
                var commit = known.Max(s => s.CommitIndex);
                var model = rows.Select(r => r.Status is { } s
                    ? (object)new { url = r.Url, role = s.Role, replica = s.Replica, term = s.Term, commit_index = s.CommitIndex, applied_index = s.AppliedIndex, lag = commit - s.AppliedIndex, leader = s.Leader, head = $"{s.HeadSequence}:{s.HeadHash}" }
                    : new { url = r.Url, role = "unreachable", error = r.Error }).ToList();
                return output.Success(new { replicas = model }, console =>
                {
                    var table = new Table().AddColumns("Replica", "URL", "Role", "Term", "Commit", "Applied", "Lag", "Journal head");
                    foreach (var (url, status, error) in rows)
                    {
                        if (status is null)
                        {
                            table.AddRow("?", url, "[red]unreachable[/]", "", "", "", "", Markup.Escape(error ?? ""));
                            continue;
                        }
                        var head = status.HeadSequence == 0 ? "(empty)" : $"{status.HeadSequence}:{status.HeadHash[..Math.Min(16, status.HeadHash.Length)]}…";
                        table.AddRow(status.Replica.ToString(System.Globalization.CultureInfo.InvariantCulture), url, status.Role,
                            status.Term.ToString(System.Globalization.CultureInfo.InvariantCulture), status.CommitIndex.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            status.AppliedIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), (commit - status.AppliedIndex).ToString(System.Globalization.CultureInfo.InvariantCulture), head);
                    }
                    console.Write(table);
                });
            });
        });
        return command;
    }

    private static async Task<(string Url, ReplicaStatus? Status, string? Error)> AskAsync(string url)
    {
        using var channel = GrpcChannel.ForAddress(url);
        try
        {
            var status = await new BankService.BankServiceClient(channel).GetReplicaStatusAsync(new ReplicaStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(3)).ConfigureAwait(false);
            return (url, status, null);
        }
        catch (RpcException ex)
        {
            return (url, null, Shared.Rpc.RpcErrors.Describe(ex).Message);
        }
    }
}
