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

/// <summary>The `bank` executable: the server (`bank serve`) and the client verbs.</summary>
public static partial class BankCli
{
    public const string DefaultServer = "http://127.0.0.1:7100";

    private static readonly Option<bool> s_json = new("--json") { Description = "Print one JSON document instead of tables.", Recursive = true };
    private static readonly Option<string?> s_server = new("--server") { Description = $"Bank URL, e.g. 127.0.0.1:7100 (default: inside a network started by run-network.ps1, its bank from .network/network.json; else the profile's; else {DefaultServer}).", Recursive = true };
    private static readonly Option<string?> s_token = new("--token") { Description = "Bearer token (default: $BANK_TOKEN; else --as; else the profile's, if saved for this server; else the network's admin token).", Recursive = true };
    private static readonly Option<string?> s_as = new("--as") { Description = "Use the saved token of a customer created from this machine.", Recursive = true };
    private static readonly Option<string?> s_profile = new("--profile") { Description = "Profile file (default: $BANK_PROFILE or ~/.ledgercontrast/bank-profile.json).", Recursive = true };

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(
            "CentralBank: a client-server bank. One gRPC server holds the authoritative ledger; clients only ask.");
        root.Options.Add(s_json);
        root.Subcommands.Add(ServeCommand());
        root.Subcommands.Add(LoginCommand());
        root.Subcommands.Add(CustomerCommand());
        root.Subcommands.Add(AccountCommand());
        root.Subcommands.Add(CashCommand("deposit", "Pay cash into an account (admin).", deposit: true));
        root.Subcommands.Add(CashCommand("withdraw", "Pay cash out of an account (admin).", deposit: false));
        root.Subcommands.Add(TransferCommand());
        root.Subcommands.Add(BalanceCommand());
        root.Subcommands.Add(HistoryCommand());
        root.Subcommands.Add(ReverseCommand());
        root.Subcommands.Add(AuditCommand());
        root.Subcommands.Add(BankBench.Command(s_json));
        root.Subcommands.Add(HealthCommand());
        root.Subcommands.Add(StatusCommand());
        // The client's options belong to the verbs that talk to a server as a client: `serve` is
        // the server, `bench` runs one of its own, and their help must not offer what they ignore.
        foreach (var client in root.Subcommands.Where(c => c.Name is not ("serve" or "bench")))
        {
            client.Options.Add(s_server);
            client.Options.Add(s_token);
            client.Options.Add(s_as);
            client.Options.Add(s_profile);
        }
        // No response files: "@cash" is an account id here, not a file of arguments to read.
        return CliOutput.InvokeAsync(root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }));
    }

    /// <summary>The exit code of a fail-stop (EX_SOFTWARE): a supervisor restarts the bank, which recovers from its file.</summary>
    public const int StoppedAfterStorageFault = 70;

    private const long MiB = 1024 * 1024;

    /// <summary>A count the server cannot run with below 1 is refused at parsing, in one sentence, rather than quietly raised.</summary>
    private static void RequireAtLeastOne(Option<int> option) =>
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"{option.Name} must be at least 1.");
            }
        });

    private static Command HealthCommand()
    {
        var command = new Command("health", "Ask the bank's gRPC health service whether it is serving (exit 0) or not (exit 2).");
        command.SetAction(parse =>
        {
            var output = new CliOutput(parse.GetValue(s_json));
            var url = ServerUrl(parse, BankProfile.Load(parse.GetValue(s_profile) ?? BankProfile.DefaultPath));
            return output.RunAsync("bank", () => url, async () => await HealthProbe.IsServingAsync(url, TimeSpan.FromSeconds(3)).ConfigureAwait(false)
                ? output.Success(new { url, serving = true }, c => c.WriteLine($"{url} is serving."))
                : output.Fail(CliOutput.Unreachable, "NOT_SERVING", $"{url} is not serving."));
        });
        return command;
    }

    /// <summary>
    /// --server, else (inside the repository) the bank of .network/network.json — the network
    /// you are exploring wins over a profile left by an earlier bank — else the profile's, else
    /// the default. "127.0.0.1:7100" means http://127.0.0.1:7100, as the chain CLI reads it.
    /// </summary>
    private static string ServerUrl(ParseResult parse, BankProfile profile) =>
        WithScheme(parse.GetValue(s_server) ?? NetworkFile.TryFind()?.Bank?.Url ?? profile.Server ?? DefaultServer);

    private static string WithScheme(string server) => string.Join(',', server.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(item => item.Contains("://", StringComparison.Ordinal) ? item.TrimEnd('/') : "http://" + item.TrimEnd('/')));

    private static Command LoginCommand()
    {
        var tokenFile = new Option<string?>("--token-file") { Description = "Read the token from this file (e.g. DIR/admin.token)." };
        var command = new Command("login", "Save a server and token as this machine's defaults.") { tokenFile };
        command.SetAction(parse => Run(parse, async (_, output) =>
        {
            var profilePath = parse.GetValue(s_profile) ?? BankProfile.DefaultPath;
            var profile = BankProfile.Load(profilePath);
            var file = parse.GetValue(tokenFile);
            var token = file is not null ? (await File.ReadAllTextAsync(file).ConfigureAwait(false)).Trim() : parse.GetValue(s_token);
            if (string.IsNullOrEmpty(token))
            {
                throw new CliException("MISSING_TOKEN", "Give the token with --token or --token-file.");
            }
            profile.Token = token;
            profile.Server = WithScheme(parse.GetValue(s_server) ?? profile.Server ?? DefaultServer);
            profile.Save(profilePath);
            return output.Success(new { server = profile.Server, profile = profilePath },
                console => console.MarkupLineInterpolated($"Saved [bold]{profile.Server}[/] and the token to {profilePath}."));
        }));
        return command;
    }

    private static Command CustomerCommand()
    {
        var name = new Argument<string>("name") { Description = "The customer's name." };
        var create = new Command("create", "Create a customer and issue its token (admin). The token is shown once and saved to the profile.") { name };
        create.SetAction(parse => Run(parse, async (client, output) =>
        {
            var reply = await client.Bank.CreateCustomerAsync(new CreateCustomerRequest { Name = parse.GetValue(name) }, client.Headers, BankClient.CallDeadline).ConfigureAwait(false);
            var profilePath = parse.GetValue(s_profile) ?? BankProfile.DefaultPath;
            var profile = BankProfile.Load(profilePath);
            profile.Customers[parse.GetValue(name)!.Trim()] = new BankProfile.SavedCustomer(reply.CustomerId, reply.Token, client.Server);
            profile.Save(profilePath);
            return output.Success(new { customer_id = reply.CustomerId, token = reply.Token }, console =>
            {
                console.MarkupLineInterpolated($"Created customer [bold]{reply.CustomerId}[/] ({parse.GetValue(name)}).");
                console.MarkupLineInterpolated($"Token (shown once; saved to the profile, use --as {parse.GetValue(name)}): {reply.Token}");
            });
        }));
        return new Command("customer", "Customers.") { create };
    }

    private static Command AccountCommand()
    {
        var customer = new Option<string>("--customer") { Description = "Customer id, e.g. cus-1.", Required = true };
        var open = new Command("open", "Open an account for a customer (admin).") { customer };
        open.SetAction(parse => Run(parse, async (client, output) =>
        {
            var account = await client.Bank.OpenAccountAsync(new OpenAccountRequest { CustomerId = parse.GetValue(customer) }, client.Headers, BankClient.CallDeadline).ConfigureAwait(false);
            return output.Success(new { account_id = account.AccountId, customer_id = account.CustomerId },
                console => console.MarkupLineInterpolated($"Opened account [bold]{account.AccountId}[/] for {account.CustomerId}."));
        }));
        return new Command("account", "Accounts.") { open };
    }

    private static Command CashCommand(string verb, string description, bool deposit)
    {
        var account = new Option<string>("--account") { Description = "Account id, e.g. acc-1.", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount, e.g. 12.5.", Required = true };
        var key = new Option<string?>("--idempotency-key") { Description = "Reuse to retry safely (default: a new key)." };
        var command = new Command(verb, description) { account, amount, key };
        command.SetAction(parse => Run(parse, async (client, output) =>
        {
            var request = new CashRequest
            {
                AccountId = parse.GetValue(account),
                Amount = CliAmount.Parse(parse.GetValue(amount)).MinorUnits,
                IdempotencyKey = parse.GetValue(key) ?? NewKey(),
            };
            var reply = await BankClient.WithRetry(() => deposit
                ? client.Bank.DepositAsync(request, client.Headers, BankClient.CallDeadline).ResponseAsync
                : client.Bank.WithdrawAsync(request, client.Headers, BankClient.CallDeadline).ResponseAsync).ConfigureAwait(false);
            var balance = deposit ? reply.ToBalance : reply.FromBalance;
            return output.Success(EntryJson(reply, request.IdempotencyKey), console => console.MarkupLineInterpolated(
                $"{(deposit ? "Deposited" : "Withdrew")} {Amount.FromMinorUnits(request.Amount)} ({reply.EntryId}); {request.AccountId} now holds {Amount.FromMinorUnits(balance)}."));
        }));
        return command;
    }

    private static Command TransferCommand()
    {
        var from = new Option<string>("--from") { Description = "Source account (must be yours).", Required = true };
        var to = new Option<string>("--to") { Description = "Destination account.", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount, e.g. 12.5.", Required = true };
        var key = new Option<string?>("--idempotency-key") { Description = "Reuse to retry safely (default: a new key; retries reuse it)." };
        var command = new Command("transfer", "Move money from one of your accounts to another account.") { from, to, amount, key };
        command.SetAction(parse => Run(parse, async (client, output) =>
        {
            var request = new TransferRequest
            {
                FromAccountId = parse.GetValue(from),
                ToAccountId = parse.GetValue(to),
                Amount = CliAmount.Parse(parse.GetValue(amount)).MinorUnits,
                IdempotencyKey = parse.GetValue(key) ?? NewKey(),
            };
            var reply = await BankClient.WithRetry(() => client.Bank.TransferAsync(request, client.Headers, BankClient.CallDeadline).ResponseAsync).ConfigureAwait(false);
            return output.Success(EntryJson(reply, request.IdempotencyKey), console => console.MarkupLineInterpolated(
                $"Transferred {Amount.FromMinorUnits(request.Amount)} from {request.FromAccountId} to {request.ToAccountId} ({reply.EntryId}, final). {request.FromAccountId} now holds {Amount.FromMinorUnits(reply.FromBalance)}."));
        }));
        return command;
    }

    private static Command BalanceCommand()
    {
        var account = new Argument<string>("account") { Description = "Account id, e.g. acc-1." };
        var stale = StaleOkOption();
        var command = new Command("balance", "Show an account's balance.") { account, stale };
        command.SetAction(parse => Run(parse, async (client, output) =>
        {
            var reply = await client.Bank.GetBalanceAsync(new GetBalanceRequest { AccountId = parse.GetValue(account), StaleOk = parse.GetValue(stale) }, client.Headers, BankClient.CallDeadline).ConfigureAwait(false);
            return output.Success(new { account_id = reply.AccountId, customer_id = reply.CustomerId, balance = Amount.FromMinorUnits(reply.Balance).ToString(), balance_minor = reply.Balance },
                console => console.MarkupLineInterpolated($"{reply.AccountId} ({reply.CustomerId}): [bold]{Amount.FromMinorUnits(reply.Balance)}[/]"));
        }));
        return command;
    }

    /// <summary>A replicated bank's follower read (docs/BANK.md, "Replication"): no read barrier, so it may lag the leader.</summary>
    private static Option<bool> StaleOkOption() => new("--stale-ok")
    {
        Description = "Replicated bank: let the replica --server names answer even if it is a follower; it may not have applied the latest transfers yet. Without it, reads go to the leader and see every acknowledged transfer.",
    };

    private static Command HistoryCommand()
    {
        var account = new Argument<string>("account") { Description = "Account id, e.g. acc-1." };
        var pageSize = new Option<uint>("--page-size") { Description = "Postings per page.", DefaultValueFactory = _ => 20 };
        var before = new Option<ulong>("--before") { Description = "Show postings older than this sequence (from the previous page)." };
        var stale = StaleOkOption();
        var command = new Command("history", "Show an account's postings, newest first, a page at a time.") { account, pageSize, before, stale };
        command.SetAction(parse => Run(parse, async (client, output) =>
        {
            var reply = await client.Bank.GetHistoryAsync(new GetHistoryRequest
            {
                AccountId = parse.GetValue(account),
                PageSize = parse.GetValue(pageSize),
                BeforeSequence = parse.GetValue(before),
                StaleOk = parse.GetValue(stale),
            }, client.Headers, BankClient.CallDeadline).ConfigureAwait(false);
            var rows = reply.Postings.Select(p => new
            {
                sequence = p.Sequence,
                entry_id = p.EntryId,
                kind = p.Kind,
                amount = Amount.FromMinorUnits(p.Amount).ToString(),
                counterparty = p.CounterpartyAccountId,
                committed = DateTimeOffset.FromUnixTimeMilliseconds((long)p.CommittedMs).ToString("u", System.Globalization.CultureInfo.InvariantCulture),
                reverses = p.ReversesEntryId,
            }).ToList();
            return output.Success(new { postings = rows, next_before = reply.NextBeforeSequence }, console =>
            {
                var table = new Table().AddColumns("Entry", "Kind", "Amount", "Counterparty", "Committed (UTC)", "Reverses");
                foreach (var row in rows)
                {
                    table.AddRow(row.entry_id, row.kind, row.amount, row.counterparty, row.committed, row.reverses);
                }
                console.Write(table);
                if (reply.NextBeforeSequence != 0)
                {
                    console.MarkupLineInterpolated($"More: --before {reply.NextBeforeSequence}");
                }
            });
        }));
        return command;
    }

    private static Command ReverseCommand()
    {
        var entry = new Argument<string>("entry-id") { Description = "The transfer to reverse, e.g. e-42." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the audited journal)." };
        var force = new Option<bool>("--force") { Description = "If the receiver no longer holds the money, the bank covers the difference (write-off)." };
        var command = new Command("reverse", "Reverse a transfer with a compensating entry (admin).") { entry, reason, force };
        command.SetAction(parse => Run(parse, async (client, output) =>
        {
            var reply = await client.Bank.ReverseAsync(new ReverseRequest { EntryId = parse.GetValue(entry), Reason = parse.GetValue(reason) ?? "", Force = parse.GetValue(force) }, client.Headers, BankClient.CallDeadline).ConfigureAwait(false);
            return output.Success(EntryJson(reply, ""), console => console.MarkupLineInterpolated($"Reversed {parse.GetValue(entry)} with {reply.EntryId}."));
        }));
        return command;
    }

    private static Command AuditCommand()
    {
        var data = new Option<string?>("--data") { Description = "Audit a stopped bank's data directory directly instead of asking the server." };
        var expect = new Option<string?>("--expect")
        {
            Description = "An anchor SEQ:HASH from an earlier receipt or audit: fail if the journal no longer holds entry SEQ with that hash (deleted or re-hashed entries).",
        };
        var command = new Command("audit", "Verify the journal's hash chain, every balance, every reversal and conservation of money.") { data, expect };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(data);
            var output = new CliOutput(parse.GetValue(s_json));
            JournalAnchor? anchor = null;
            if (parse.GetValue(expect) is { } anchorText && !JournalAnchor.TryParse(anchorText, out anchor))
            {
                return Task.FromResult(output.Fail(CliOutput.BadInput, "INVALID_ARGUMENT", $"'{anchorText}' is not an anchor; it looks like 42:<64 hex digits> (a receipt's sequence and entry hash)."));
            }
            if (directory is null)
            {
                return Run(parse, async (client, output) =>
                {
                    var request = new AuditRequest { ExpectSequence = (ulong)(anchor?.Sequence ?? 0), ExpectHash = anchor?.Hash ?? "" };
                    var reply = await client.Bank.AuditAsync(request, client.Headers, new DateTime?(DateTime.UtcNow.AddMinutes(5))).ConfigureAwait(false);
                    return ReportAudit(output, reply.Ok, (long)reply.Entries, reply.TotalBalances, reply.Issued, [.. reply.Problems], (long)reply.FirstBrokenSequence,
                        new JournalAnchor((long)reply.HeadSequence, reply.HeadHash));
                });
            }
            return output.RunAsync("bank", () => directory, () =>
            {
                if (!File.Exists(Path.Combine(directory, BankDatabase.FileName)))
                {
                    throw new CliException("NO_LEDGER", $"There is no ledger in {directory}.");
                }
                using var db = new BankDatabase(directory);
                var report = LedgerAuditor.Run(db, anchor);
                return Task.FromResult(ReportAudit(output, report.Ok, report.Entries, AuditReport.Saturate(report.CustomerBalances), AuditReport.Saturate(report.Issued), report.Problems, report.FirstBrokenSequence,
                    new JournalAnchor(report.HeadSequence, report.HeadHash)));
            });
        });
        return command;
    }

    private static int ReportAudit(CliOutput output, bool ok, long entries, long balances, long issued, IReadOnlyList<string> problems, long firstBroken, JournalAnchor head)
    {
        var model = new
        {
            ok, entries, customer_balances = Amount.FromMinorUnits(balances).ToString(), issued = Amount.FromMinorUnits(issued).ToString(),
            first_broken_entry = firstBroken == 0 ? null : Ledger.LedgerIds.Entry(firstBroken), problems, anchor = head.Sequence == 0 ? null : head.ToString(),
        };
        if (!ok)
        {
            if (output.Json)
            {
                output.Success(model, _ => { });
                return CliOutput.Refused;
            }
            return output.Fail(CliOutput.Refused, "AUDIT_FAILED", $"The audit FAILED over {entries} entries: {problems[0]}{(problems.Count > 1 ? $" (and {problems.Count - 1} more problems)" : "")}.");
        }
        return output.Success(model, console =>
        {
            console.MarkupLineInterpolated(
                $"Audit passed: {entries} entries, hash chain intact, every balance matches its postings, customer balances {Amount.FromMinorUnits(balances)} = deposits − withdrawals + write-offs.");
            console.MarkupLineInterpolated($"Keep this anchor for the next audit: --expect {head}");
        });
    }

    private static object EntryJson(EntryReply reply, string key) => new
    {
        entry_id = reply.EntryId,
        sequence = reply.Sequence,
        from_balance = Amount.FromMinorUnits(reply.FromBalance).ToString(),
        to_balance = Amount.FromMinorUnits(reply.ToBalance).ToString(),
        committed_ms = reply.CommittedMs,
        anchor = reply.Sequence + ":" + reply.EntryHash,
        idempotency_key = key,
    };

    private static string NewKey() => "cli-" + Guid.NewGuid().ToString("N");

    private static Task<int> Run(ParseResult parse, Func<BankClient, CliOutput, Task<int>> verb)
    {
        var json = parse.GetValue(s_json);
        var output = new CliOutput(json);
        var profilePath = parse.GetValue(s_profile) ?? BankProfile.DefaultPath;
        string? server = null;
        return output.RunAsync("bank", () => server ?? parse.GetValue(s_server) ?? DefaultServer, async () =>
        {
            var profile = BankProfile.Load(profilePath);
            server = ServerUrl(parse, profile);
            var (token, source) = ResolveToken(parse, profile, profilePath, server);
            if (token is not null && token.Any(c => c is < '!' or > '~'))
            {
                throw new CliException("INVALID_TOKEN", $"The token from {source} contains a character a request header cannot carry (a byte-order mark, a space or a line break?): copy it again without it.");
            }
            if (!json && source.StartsWith("the admin token", StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"(acting as the bank's admin: {source}; give --as NAME to act as a customer)").ConfigureAwait(false);
            }
            using var client = new BankClient(server, token);
            try
            {
                return await verb(client, output).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unauthenticated)
            {
                var detail = Shared.Rpc.RpcErrors.Describe(ex);
                return output.Fail(CliOutput.Refused, detail.Reason, $"The bank at {server} refused the token from {source}: {detail.Message.TrimEnd('.')} ({detail.Reason}).");
            }
        });
    }

    /// <summary>
    /// The token and where it came from: --token, $BANK_TOKEN, --as (a customer saved for this
    /// server, or prepared in network.json for its bank), the profile's own (if saved for this
    /// server), or the admin token of the network's bank. A token is only ever sent to the server
    /// it was issued by.
    /// </summary>
    private static (string? Token, string Source) ResolveToken(ParseResult parse, BankProfile profile, string profilePath, string server)
    {
        if (parse.GetValue(s_token) is { Length: > 0 } given)
        {
            return (given, "--token");
        }
        if (Environment.GetEnvironmentVariable("BANK_TOKEN") is { Length: > 0 } environment)
        {
            return (environment, "$BANK_TOKEN");
        }
        var network = NetworkFile.TryFind();
        var networkBank = network?.Bank?.Url is { } url && WithScheme(url) == server ? network : null;
        var customer = parse.GetValue(s_as);
        if (customer is not null)
        {
            if (profile.Customers.TryGetValue(customer, out var saved) && (saved.Server is null || WithScheme(saved.Server) == server))
            {
                return (saved.Token, $"customer '{customer}' in the profile {profilePath} (for {saved.Server ?? "any server"})");
            }
            if (networkBank?.Customers.TryGetValue(customer, out var prepared) == true)
            {
                return (prepared.Token, $"customer '{customer}' in {networkBank.Path}");
            }
            throw new CliException("UNKNOWN_CUSTOMER", $"No customer named '{customer}' is saved for {server}, neither in the profile {profilePath} nor in network.json.");
        }
        if (profile.Token is not null && profile.Server is not null && WithScheme(profile.Server) == server)
        {
            return (profile.Token, $"the profile {profilePath} (for {profile.Server})");
        }
        return networkBank?.ReadAdminToken() is { } admin
            ? (admin, $"the admin token file {networkBank.AdminTokenFile} (for {server})")
            : (null, "no token");
    }
}
