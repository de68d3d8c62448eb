using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Measurement;
using LedgerContrast.Shared.Money;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// The hybrid model: a light wallet asks full nodes client-server style yet checks what it is told
/// against the chain (headers it validates itself, filters agreed across nodes, blocks checked
/// against its headers), beside a bank client that can only believe its server. For the same
/// wallet history: what the light wallet keeps and downloads against a full node synced from
/// nothing, the time from a fresh start to a verified balance, and what a lying server in front
/// of a real node (and one in front of the real bank) gets each client to show.
/// </summary>
public static class HybridScenario
{
    public const string Dimension = "Hybrid (light wallet)";
    private const int BankSamples = 20;

    /// <param name="history">Null: the lab network's own chain; else a private chain of this many full blocks.</param>
    public static Task<ScenarioResult> RunAsync(LabNetwork lab, int confirmations, History? history = null) =>
        ScenarioResult.RunBothAsync(lab, "hybrid", Dimension, BankAsync, (l, r, p) => ChainAsync(l, r, p, confirmations, history));

    private static async Task<string> BankAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        const long Deposit = 250_00000000;
        var customer = await BankLab.NewCustomerAsync(lab, "hy-dana", Deposit).ConfigureAwait(false);
        var bankUrl = lab.File.Bank!.Url;
        // A client from a fresh start: a new connection, one balance request, nothing kept.
        var latencies = new List<double>();
        long replyBytes = 0, shown = 0;
        for (var i = 0; i < BankSamples; i++)
        {
            var (ms, bytes, balance) = await FreshBalanceAsync(bankUrl, customer).ConfigureAwait(false);
            latencies.Add(ms);
            (replyBytes, shown) = (bytes, balance);
        }
        var p = Percentiles.Of(latencies, 0.5);
        result.Bank["balance_reply_bytes"] = replyBytes;
        result.Bank["fresh_client_balance_ms_p50"] = Math.Round(p[0], 1);
        result.Bank["fresh_client_balance_ms_max"] = Math.Round(latencies.Max(), 1);
        result.Bank["fresh_client_samples"] = BankSamples;
        result.Expect(shown == Deposit, "bank: the fresh client was not shown the deposit");
        progress.Step(string.Create(CultureInfo.InvariantCulture,
            $"bank: a new client's balance from a fresh connection: one reply of {replyBytes} bytes, p50 {p[0]:F1} ms, max {latencies.Max():F1} ms (n={BankSamples}); it keeps nothing"));

        // A dishonest server (a proxy in front of the real bank adding 1,000 to every balance).
        const long Extra = 1_000_00000000;
        await using var liar = await LyingBank.StartAsync(bankUrl, Extra).ConfigureAwait(false);
        var (_, _, lied) = await FreshBalanceAsync(liar.Url, customer).ConfigureAwait(false);
        var ledger = (await lab.RequireAdmin().GetBalanceAsync(new GetBalanceRequest { AccountId = customer.AccountId }).ConfigureAwait(false)).Balance;
        result.Bank["lying_server_balance_shown"] = Amount.FromMinorUnits(lied).ToString();
        result.Bank["ledger_balance"] = Amount.FromMinorUnits(ledger).ToString();
        result.Bank["client_can_check"] = "nothing: the reply is a number, the server's word";
        progress.Step($"bank: a lying server in front of the bank told the same client {Amount.FromMinorUnits(lied)} where the ledger holds {Amount.FromMinorUnits(ledger)}; the client showed it — nothing in the reply can be checked");
        return string.Create(CultureInfo.InvariantCulture,
            $"a client keeps nothing and checks nothing: its balance is one reply of {replyBytes} bytes, p50 {p[0]:F1} ms from a new connection (n={BankSamples}); a lying server showed it {Amount.FromMinorUnits(lied)} where the ledger holds {Amount.FromMinorUnits(ledger)}, and it could not tell — only the bank's own audit checks the bank");
    }

    /// <summary>One balance request over a new connection: its time (connection included), the reply's message bytes, the balance shown.</summary>
    private static async Task<(double Ms, long Bytes, long Balance)> FreshBalanceAsync(string url, LabCustomer customer)
    {
        var received = new ReceivedBytes();
        var clock = Stopwatch.StartNew();
        using var channel = GrpcChannel.ForAddress(url);
        var client = new BankService.BankServiceClient(LabNetwork.WithBearerToken(channel.Intercept(received), customer.Token));
        var account = await client.GetBalanceAsync(new GetBalanceRequest { AccountId = customer.AccountId }, deadline: DateTime.UtcNow.AddSeconds(10)).ConfigureAwait(false);
        return (clock.Elapsed.TotalMilliseconds, received.Bytes, account.Balance);
    }

    private static async Task<string> ChainAsync(LabNetwork lab, ScenarioResult result, Progress progress, int confirmations, History? history)
    {
        var directory = Path.Combine(Path.GetTempPath(), "lc-hybrid-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            using var light = PrivateKey.Generate();
            var executable = LabNodeProcess.ExecutableOf(lab.File);
            if (history is { } filled)
            {
                // Full blocks on a private regtest chain of two nodes: the same wallet, the same
                // questions, at a size where a block weighs what its payments do.
                await using var chain = await PrivateChain.StartAsync(lab.File, 2, TimeSpan.Zero, 1, progress).ConfigureAwait(false);
                var clock = Stopwatch.StartNew();
                var paidOverHistory = await FilledHistory.BuildAsync(chain, filled.Blocks, filled.Payments, light, progress).ConfigureAwait(false);
                result.Chain["history"] = new Dictionary<string, object?>
                {
                    ["blocks"] = filled.Blocks,
                    ["payments_per_block"] = filled.Payments,
                    ["payments_to_the_wallet"] = FilledHistory.WalletPayments,
                    ["built_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
                };
                return await MeasureAsync(result, progress, chain.Nodes, executable, ["--regtest", "--network", PrivateChain.NetworkName], directory, light, paidOverHistory,
                    $"blocks of {filled.Payments} payments each (one coin in, payment and change out)").ConfigureAwait(false);
            }
            var node = lab.Nodes[0];
            using var alice = lab.Wallets.Load("alice");
            var info = await ChainLab.InfoAsync(node).ConfigureAwait(false);
            var coin = await ChainLab.WaitForCoinAsync(progress, node, alice).ConfigureAwait(false);
            var payment = ChainLab.Pay(coin, alice, light, ChainLab.NetworkId(info));
            var paid = payment.Outputs[0].Amount.MinorUnits;
            await ChainLab.SubmitAsync(node, payment).ConfigureAwait(false);
            progress.Step($"chain: alice pays a new light wallet {Amount.FromMinorUnits(paid)} ({ChainLab.Abbreviate(payment.Txid)}); waiting for {confirmations} confirmations");
            await progress.UntilAsync($"{confirmations} confirmations", async () => (await ChainLab.StatusAsync(node, payment.Txid).ConfigureAwait(false)).Confirmations >= confirmations,
                TimeSpan.FromMinutes(10)).ConfigureAwait(false);
            return await MeasureAsync(result, progress, lab.Nodes, executable, LightWallet.ParametersOf(lab.File.Nodes[0].Command), directory, light, paid,
                "the lab's blocks, nearly empty: a header, a filter header from each node asked and a filter weigh about what such a block does; the full node's grows with the payments in its blocks, the light wallet's does not (--history measures full blocks)").ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>How the history a --history run builds is sized: so many blocks of so many payments.</summary>
    public sealed record History(int Blocks, int Payments);

    /// <summary>
    /// The light wallet from nothing over <paramref name="nodes"/>, a full node from nothing beside
    /// them, then the lies told by a proxy in front of the first node (the second is the honest one).
    /// </summary>
    private static async Task<string> MeasureAsync(ScenarioResult result, Progress progress, IReadOnlyList<LabNode> nodes, IReadOnlyList<string> executable, IReadOnlyList<string> parameters,
        string directory, PrivateKey light, long paid, string blocksAre)
    {
        var node = nodes[0];
        var honest = nodes[1];
        var wallet = new LightWallet(executable, parameters, directory, "light", light);
        var fresh = await wallet.SyncAsync(nodes.Select(n => n.Url)).ConfigureAwait(false);
        result.Expect(fresh.Succeeded && fresh.ConfirmedMinorUnits == paid && fresh.Caught.Count == 0,
            $"chain: the light wallet over the honest nodes did not show exactly what it was paid ({fresh.Json})");
        if (!fresh.Succeeded)
        {
            return $"the light wallet's sync failed: {fresh.Reason}";
        }
        var height = fresh.Json.GetProperty("height").GetUInt32();
        var downloaded = fresh.Json.GetProperty("bytes_downloaded").GetInt64();
        var headerBytes = fresh.Json.GetProperty("headers_bytes_on_disk").GetInt64();
        progress.Step(string.Create(CultureInfo.InvariantCulture,
            $"chain: the light wallet, from nothing, over {nodes.Count} nodes: headers checked to height {height}, {Amount.FromMinorUnits(fresh.ConfirmedMinorUnits)} proven in {fresh.Seconds:F1} s (its whole process); downloaded {downloaded:N0} bytes, keeps {fresh.BytesOnDisk:N0} ({headerBytes:N0} of headers)"));

        // The same history from a full node started from nothing beside the others.
        var full = await FullNodeAsync(node, executable, parameters, directory, height, light, progress).ConfigureAwait(false);
        result.Expect(full.Balance == paid, "chain: the fresh full node did not show what the wallet was paid");
        var diskShare = 100.0 * fresh.BytesOnDisk / full.OnDisk;
        var filterBytes = fresh.Json.GetProperty("filter_bytes_read").GetInt64();
        result.Chain["light_filter_bytes_downloaded"] = filterBytes;
        // What no light wallet of this design gets below: every block's filter (BIP-158's ~21 bits
        // an element, two elements a payment) and its header, against what the full node received.
        var filterShare = 100.0 * filterBytes / full.Received;
        result.Chain["light_filters_share_of_full_node_download_percent"] = Math.Round(filterShare, 1);
        var downloadShare = 100.0 * downloaded / full.Received;
        var lightPerBlock = (double)downloaded / (height + 1);
        var fullPerBlock = (double)full.Received / (height + 1);
        result.Chain["light_bytes_downloaded_per_block"] = Math.Round(lightPerBlock);
        result.Chain["full_node_bytes_received_per_block"] = Math.Round(fullPerBlock);
        result.Chain["light_sync_attempts"] = fresh.Json.GetProperty("attempts").GetInt32();
        result.Chain["light_seconds_to_verified_balance"] = Math.Round(fresh.Seconds, 2);
        result.Chain["light_bytes_downloaded"] = downloaded;

        result.Chain["light_bytes_on_disk"] = fresh.BytesOnDisk;
        result.Chain["light_header_bytes_on_disk"] = headerBytes;
        result.Chain["light_blocks_fetched"] = fresh.Json.GetProperty("blocks_fetched").GetInt32();
        result.Chain["height"] = height;
        result.Chain["full_node_seconds_to_verified_balance"] = Math.Round(full.Seconds, 2);
        result.Chain["full_node_bytes_received"] = full.Received;
        result.Chain["full_node_bytes_on_disk"] = full.OnDisk;
        result.Chain["light_share_of_full_node_disk_percent"] = Math.Round(diskShare, 1);
        result.Chain["light_share_of_full_node_download_percent"] = Math.Round(downloadShare, 1);
        result.Chain["bytes_counted"] = "protobuf message bytes of every reply (light wallet) and of every peer message received (full node, ListPeers); gRPC and HTTP/2 framing not counted on either side";
        result.Chain["samples"] = "one sync of each";
        progress.Step(string.Create(CultureInfo.InvariantCulture,
            $"chain: a full node from nothing synced {height} blocks and showed the payment in {full.Seconds:F1} s (its whole process); received {full.Received:N0} bytes, keeps {full.OnDisk:N0}: the light wallet's are {downloadShare:F1}% and {diskShare:F1}% of them"));

        // The lies, each first beside an honest node and then alone.
        var lies = new Dictionary<string, object?>();
        var judged = new List<string>();
        foreach (var lie in new[] { NodeLie.ForgePayment, NodeLie.HidePayments, NodeLie.InvalidHeaders })
        {
            await using var liar = await LyingNode.StartAsync(node.Url, lie, light.PublicKey.ToArray()).ConfigureAwait(false);
            var beside = await wallet.SyncAsync([liar.Url, honest.Url]).ConfigureAwait(false);
            var alone = await wallet.SyncAsync([liar.Url]).ConfigureAwait(false);
            var (besideSays, aloneSays, verdict) = Judge(lie, liar.Url, paid, beside, alone, result);
            lies[Name(lie)] = new Dictionary<string, object?> { ["beside_an_honest_node"] = besideSays, ["alone"] = aloneSays };
            judged.Add(verdict);
            progress.Step($"chain: a lying node that {LyingNode.Describe(lie)}: beside an honest node, {besideSays}; alone, {aloneSays}");
        }
        result.Chain["lies"] = lies;
        result.Chain["lower_work_chain"] = "not run here: HeaderSyncTests and LightWalletProcessTests show a lower-work header chain is not followed";
        return string.Create(CultureInfo.InvariantCulture,
            $"a light wallet (headers only) proved its {Amount.FromMinorUnits(paid)} in {fresh.Seconds:F1} s from nothing, asking {nodes.Count} nodes; a full node from nothing took {full.Seconds:F1} s for the same {height} blocks. It downloaded {downloaded:N0} bytes ({downloadShare:F1}% of the full node's {full.Received:N0}: {lightPerBlock:F0} against {fullPerBlock:F0} bytes a block, on {blocksAre}; the filters alone are {filterShare:F1}% of what the full node received) and keeps {fresh.BytesOnDisk:N0} ({diskShare:F1}% of {full.OnDisk:N0}); one sync of each. A lying node: {string.Join("; ", judged)}");
    }

    /// <summary>What the light wallet showed with the liar beside an honest node and alone, and the verdict on the lie.</summary>
    private static (string Beside, string Alone, string Verdict) Judge(NodeLie lie, string liar, long paid, LightSyncRun beside, LightSyncRun alone, ScenarioResult result)
    {
        var besideSays = Says(beside, liar);
        var aloneSays = Says(alone, liar);
        switch (lie)
        {
            case NodeLie.ForgePayment:
                result.Expect(beside.Succeeded && beside.ConfirmedMinorUnits == paid && beside.Caught.ContainsKey(liar), "chain: a forged payment beside an honest node was not refused with the liar named");
                result.Expect(!alone.Succeeded || alone.ConfirmedMinorUnits <= paid, "chain: a forged payment was shown");
                return (besideSays, aloneSays, "a forged payment was never shown (no block proves it; alone, the wallet showed nothing)");
            case NodeLie.HidePayments:
                result.Expect(beside.Succeeded && beside.ConfirmedMinorUnits == paid && beside.Caught.ContainsKey(liar), "chain: a hidden payment was not found beside an honest node, or the liar not named");
                return (besideSays, aloneSays, alone.Succeeded && alone.ConfirmedMinorUnits == 0
                    ? "a hidden payment was caught beside an honest node (liar named) but went unseen with the liar alone — SPV's limit: the wallet must reach one honest node"
                    : "a hidden payment was caught beside an honest node (liar named), and alone " + aloneSays);
            case NodeLie.InvalidHeaders:
                result.Expect(beside.Succeeded && beside.ConfirmedMinorUnits == paid && beside.HeadersRefused.ContainsKey(liar), "chain: bad headers beside an honest node were followed or not refused");
                result.Expect(alone.ConfirmedMinorUnits <= paid && (!alone.Succeeded || alone.HeadersRefused.ContainsKey(liar)), "chain: bad headers from the liar alone were not refused");
                return (besideSays, aloneSays, "headers with a wrong target were refused (the wallet checks proof of work and the retarget itself)");
            default:
                throw new ArgumentOutOfRangeException(nameof(lie), lie, null);
        }
    }

    private static string Says(LightSyncRun run, string liar)
    {
        if (!run.Succeeded)
        {
            return $"showed nothing ({run.Reason})";
        }
        var shown = Amount.FromMinorUnits(run.ConfirmedMinorUnits);
        var named = run.Caught.TryGetValue(liar, out var caught) ? $", liar named ({caught})"
            : run.HeadersRefused.TryGetValue(liar, out var refused) ? $", its headers refused ({refused})" : "";
        return $"showed {shown} under headers to height {run.Json.GetProperty("height").GetUInt32()}{named}";
    }

    private static string Name(NodeLie lie) => lie switch
    {
        NodeLie.ForgePayment => "forged_payment",
        NodeLie.HidePayments => "hidden_payment",
        NodeLie.InvalidHeaders => "invalid_headers",
        _ => lie.ToString(),
    };

    /// <summary>A full node started from nothing beside <paramref name="peer"/> (the network's own options, one peer): how long until it had <paramref name="height"/> blocks and the wallet's balance, what it received and what it keeps.</summary>
    private static async Task<(double Seconds, long Received, long OnDisk, long Balance)> FullNodeAsync(LabNode peer, IReadOnlyList<string> executable, IReadOnlyList<string> parameters, string directory, uint height, PrivateKey wallet, Progress progress)
    {
        var dataDir = Path.Combine(directory, "full-node");
        Directory.CreateDirectory(dataDir);
        var args = new List<string> { "--port", "0", "--data", dataDir, "--peer", new Uri(peer.Url).Authority, "--outbound", "1" };
        args.AddRange(parameters);
        var clock = Stopwatch.StartNew();
        var full = await LabNodeProcess.StartAsync(executable, "hybrid-full-node", dataDir, args).ConfigureAwait(false);
        double seconds;
        long received, balance = 0;
        try
        {
            await progress.UntilAsync($"the fresh full node at height {height}", async () =>
            {
                if (full.HasExited)
                {
                    throw new InvalidOperationException($"the fresh full node exited ({full.ExitCode}) before it had synced");
                }
                try
                {
                    if ((await ChainLab.InfoAsync(full.Node).ConfigureAwait(false)).Height < height)
                    {
                        return false;
                    }
                    var reply = await full.Node.Api.ListUtxosAsync(new AddressRequest { Address = await ChainLab.AddressAsync(full.Node, wallet).ConfigureAwait(false) }, deadline: LabNode.Deadline()).ConfigureAwait(false);
                    balance = reply.Utxos.Where(u => u.Height > 0).Sum(u => u.Amount);
                    return balance > 0;
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.DeadlineExceeded or StatusCode.Unavailable)
                {
                    // A node in the middle of catch-up holds its state lock through each batch's
                    // commit; on a loaded machine a query can miss its deadline. Still running: ask again.
                    return false;
                }
            }, TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(height / 50.0)).ConfigureAwait(false);
            seconds = clock.Elapsed.TotalSeconds;
            received = (await ChainLab.TrafficAsync([full.Node]).ConfigureAwait(false)).Received;
        }
        finally
        {
            await full.DisposeAsync().ConfigureAwait(false);
        }
        // Weighed once stopped: what it keeps, not what it holds open.
        return (seconds, received, DiskUsage.Of(dataDir), balance);
    }
}
