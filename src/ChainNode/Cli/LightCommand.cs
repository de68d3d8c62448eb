using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Hosting;
using LedgerContrast.ChainNode.Light;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Rpc;
using Spectre.Console;

namespace LedgerContrast.ChainNode.Cli;

/// <summary>
/// `chain light`: a wallet that keeps headers only and checks what full nodes tell it (the hybrid
/// model). `sync` asks every node given, follows the most-work header chain it checks itself,
/// agrees filter headers across the nodes (naming one shown to lie), and finds its coins through
/// filters and blocks checked against its headers; `balance` reads what the last sync found,
/// with confirmations counted from its own headers. State: WALLET-DIR/NAME.light/ (the last sync's
/// findings) and, per network (by its genesis hash), its header chain.
/// </summary>
internal static class LightCommand
{
    private const string StateFile = "state.json";

    public static Command Create(Option<bool> json)
    {
        var wallet = new Option<string>("--wallet") { Description = "The wallet whose coins to find.", Required = true };
        var nodes = new Option<string?>("--nodes") { Description = "Full nodes to ask, comma-separated URLs (two or more: one alone can hide a payment unseen). Default: every node of the network in network.json." };
        var network = new Option<string>("--network") { Description = "Network of the nodes, as they were started.", DefaultValueFactory = _ => ChainParameters.DefaultNetwork };
        var regtest = new Option<bool>("--regtest") { Description = "The nodes run with --regtest." };
        var maturity = new Option<int?>("--coinbase-maturity") { Description = "As the nodes run." };
        var interval = new Option<TimeSpan>("--block-interval") { Description = "As the nodes run.", DefaultValueFactory = _ => TimeSpan.FromSeconds(5), CustomParser = NodeCommand.ParseDuration };
        var sync = new Command("sync", "Download and check headers from every node, agree their filter headers, and find the wallet's coins through filters.") { wallet, nodes, network, regtest, maturity, interval };
        sync.SetAction(parse =>
        {
            var output = new CliOutput(parse.GetValue(json));
            var urls = (parse.GetValue(nodes)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                ?? NetworkFile.TryFind()?.Nodes.Select(n => n.Url).ToArray() ?? []).ToList();
            return output.RunAsync("node", () => string.Join(", ", urls), async () =>
            {
                if (urls.Count == 0)
                {
                    throw new CliException("NO_NODES", "Give the full nodes to ask with --nodes URL,URL (no network.json names any here).");
                }
                var parameters = new NodeOptions { DataDirectory = "", Network = parse.GetValue(network)!, Regtest = parse.GetValue(regtest), CoinbaseMaturity = parse.GetValue(maturity), BlockInterval = parse.GetValue(interval) }.ToParameters();
                var name = parse.GetValue(wallet)!;
                using var key = ClientCommands.Store(parse).Load(name);
                var directory = Path.Combine(ClientCommands.Store(parse).Directory, name + ".light");
                var channels = urls.Select(u => GrpcChannel.ForAddress(u.Contains("://", StringComparison.Ordinal) ? u : "http://" + u)).ToList();
                try
                {
                    var received = urls.Select(_ => new ReceivedBytes()).ToList();
                    var sources = urls.Select((u, i) => new LightSource(u, new NodeService.NodeServiceClient(channels[i].Intercept(received[i])))).ToList();
                    return await SyncAsync(output, parameters, directory, key.PublicKey.ToArray(), sources,
                        () => sources.Select((s, i) => (s.Name, received[i].Bytes)).ToDictionary(x => x.Name, x => x.Bytes)).ConfigureAwait(false);
                }
                finally
                {
                    channels.ForEach(c => c.Dispose());
                }
            });
        });

        var balanceWallet = new Option<string>("--wallet") { Description = "The wallet.", Required = true };
        var balance = new Command("balance", "What the last `chain light sync` found: the wallet's coins, with confirmations from its own header chain.") { balanceWallet };
        balance.SetAction(parse =>
        {
            var output = new CliOutput(parse.GetValue(json));
            return output.RunAsync("node", () => null, () =>
            {
                var name = parse.GetValue(balanceWallet)!;
                var path = Path.Combine(ClientCommands.Store(parse).Directory, name + ".light", StateFile);
                if (!File.Exists(path))
                {
                    throw new CliException("NOT_SYNCED", $"The light wallet {name} has not synced yet: run `chain light sync --wallet {name}` first.");
                }
                var state = JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
                return Task.FromResult(output.Success(state, c => c.MarkupLineInterpolated(
                    $"{name}: [bold]{state.GetProperty("confirmed").GetString()}[/] in {state.GetProperty("coins").GetArrayLength()} coins, proven under its own headers to height {state.GetProperty("height").GetUInt32()} (synced {state.GetProperty("synced").GetString()})")));
            });
        });
        return new Command("light", "A light wallet: headers only, everything checked against them (the hybrid model).") { sync, balance };
    }

    /// <param name="received">Message bytes each node has sent so far (<see cref="ReceivedBytes"/>).</param>
    private static async Task<int> SyncAsync(CliOutput output, ChainParameters parameters, string directory, byte[] key, List<LightSource> sources,
        Func<Dictionary<string, long>> received)
    {
        LightHeaders headers;
        try
        {
            // Headers per network (by its genesis), so a wallet used on two networks keeps both.
            headers = new LightHeaders(parameters, Path.Combine(directory, Genesis.Create(parameters).Hash.ToString()[..16]));
        }
        catch (InvalidDataException ex)
        {
            throw new CliException("BAD_LIGHT_STATE", ex.Message);
        }
        // A node of another network would offer headers that link to nothing here: say so plainly.
        var expected = headers.NetworkId.ToString();
        var onNetwork = new List<LightSource>();
        var others = new List<string>();
        foreach (var source in sources)
        {
            var info = await source.Api.GetInfoAsync(new GetInfoRequest(), deadline: NodeClient.Deadline()).ConfigureAwait(false);
            if (Convert.ToHexStringLower(info.NetworkId.Span) == expected)
            {
                onNetwork.Add(source);
            }
            else
            {
                others.Add($"{source.Name} is on {info.Network}");
            }
        }
        if (onNetwork.Count == 0)
        {
            throw new CliException("WRONG_NETWORK", $"None of the nodes is on the network these options describe ({parameters.Network}{(parameters.Regtest ? ", regtest" : "")}): {string.Join("; ", others)}. Give --network, --regtest, --coinbase-maturity and --block-interval as the nodes were started.");
        }
        var sync = await LightSync.RunAsync(headers, onNetwork, [key], () => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ConfigureAwait(false);
        if (sync.Matches is not { } matches)
        {
            return output.Fail(CliOutput.Refused, "NO_HONEST_NODE", $"{sync.Failure}. No coin is shown without a block that proves it; ask other nodes.");
        }
        var (headerVerdicts, agreement, liars) = (sync.Headers, sync.Agreement!, sync.Liars);
        var filterBytes = sync.FilterBytes;
        var coins = LightCoins.From(matches, [key]);
        var downloaded = received();
        var tip = headers.Tip;
        var confirmed = Amount.FromMinorUnits(coins.Sum(c => c.Amount.MinorUnits));
        var model = new
        {
            network = parameters.Network,
            height = tip.Height,
            tip = tip.Hash.ToString(),
            confirmed = confirmed.ToString(),
            coins = coins.Select(c => new { out_point = c.OutPoint.ToString(), amount = c.Amount.ToString(), height = c.Height, block = c.Block.ToString(), confirmations = tip.Height - c.Height + 1, coinbase = c.Coinbase }).ToList(),
            nodes = headerVerdicts.Select(v => new
            {
                node = v.Node,
                offered_height = v.OfferedHeight,
                followed = v.Followed,
                reorganised = v.Reorganised,
                headers_refused = v.Refused,
                filters = liars.TryGetValue(v.Node, out var lie) ? "caught: " + lie : agreement.Elsewhere.TryGetValue(v.Node, out var where) ? "not asked: " + where : "agreed",
                bytes_received = downloaded.GetValueOrDefault(v.Node),
            }).Concat(others.Select(o => new { node = o, offered_height = 0u, followed = false, reorganised = 0, headers_refused = (string?)"another network", filters = "not asked", bytes_received = 0L })).ToList(),
            headers_bytes_on_disk = headers.FileBytes,
            filter_bytes_read = filterBytes,
            // Every reply's protobuf bytes from every node asked (gRPC and HTTP/2 framing not counted).
            bytes_downloaded = downloaded.Values.Sum(),
            blocks_fetched = matches.Count,
            // More than one when the nodes' chain moved under the sync (a tip replaced) and it started again.
            attempts = sync.Attempts,
            synced = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
        };
        var temporary = Path.Combine(directory, StateFile + ".tmp");
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(model)).ConfigureAwait(false);
        File.Move(temporary, Path.Combine(directory, StateFile), overwrite: true);
        return output.Success(model, c =>
        {
            var table = new Table().AddColumns("Node", "Offered height", "Followed", "Filters");
            foreach (var n in model.nodes)
            {
                table.AddRow(Markup.Escape(n.node), $"{n.offered_height}", n.headers_refused is { } r ? Markup.Escape("refused: " + r) : n.followed ? "yes" : n.offered_height == 0 ? "nothing past the wallet's tip" : "no (less work)", Markup.Escape(n.filters));
            }
            c.Write(table);
            c.MarkupLineInterpolated($"Headers checked to height {model.height}; {model.confirmed} in {model.coins.Count} coins, each in a block checked against them ({model.blocks_fetched} blocks fetched, {model.filter_bytes_read} bytes of filters, {model.bytes_downloaded} bytes downloaded in all, {model.headers_bytes_on_disk} bytes of headers kept).");
            if (onNetwork.Count == 1)
            {
                c.MarkupLine("[yellow]Only one node was asked: it could hide a payment unseen; ask two or more.[/]");
            }
        });
    }
}
