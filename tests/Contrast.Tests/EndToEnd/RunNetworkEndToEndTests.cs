using LedgerContrast.TestSupport;
using System.Diagnostics;
using System.Text.Json;

namespace LedgerContrast.Contrast.Tests.EndToEnd;

/// <summary>
/// The product as a person uses it: run-network.ps1 launches a bank and 3 mining nodes as real
/// processes, `contrast` runs the double-spend, partition, outage, manage, scale, forks and hybrid
/// experiments against them (scale and forks start lab nodes of their own, hybrid a full node and
/// a lying node of its own), and -Stop leaves no
/// process behind.
/// </summary>
public sealed class RunNetworkEndToEndTests : IDisposable
{
    private readonly string _data = Path.Combine(TempDirectory.NewPath("lc-e2e-"), ".network");
    private readonly int _basePort = 17_000 + Random.Shared.Next(0, 40) * 20;

    [Fact]
    public async Task Launch_run_the_double_spend_and_partition_experiments_and_stop_cleanly()
    {
        var start = await RunNetworkScript.RunAsync(_data, "-Nodes", "3", "-Topology", "mesh", "-BasePort", $"{_basePort}", "-BlockInterval", "1s", "-CoinbaseMaturity", "3");
        Assert.True(start.ExitCode == 0, start.Output);
        Assert.Contains("LedgerContrast.ChainNode -> ", start.Output, StringComparison.Ordinal); // the build says what it builds
        var network = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_data, "network.json"))).RootElement;
        var pids = new[] { network.GetProperty("bank").GetProperty("pid").GetInt32() }
            .Concat(network.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("pid").GetInt32())).ToList();
        Assert.Equal(4, pids.Count);

        try
        {
            // The servers write their own log files: what they log after the script has exited is kept
            // (they wrote into a pipe the script read, and lost every line once it had gone).
            var log = Path.Combine(_data, "node1.log");
            var atExit = new FileInfo(log).Length;
            await Poll.UntilAsync(() => new FileInfo(log).Length > atExit, TimeSpan.FromSeconds(60), () => $"{log} stayed at {atExit} bytes after run-network.ps1 exited");

            // -Status: every process, alive, with the nodes' heights and peers.
            var status = await RunNetworkScript.RunAsync(_data, "-Status");
            Assert.True(status.ExitCode == 0, status.Output);
            Assert.Matches(@"node3\s+http://127\.0\.0\.1:\d+\s+\d+\s+True\s+\d+\s+2\s", status.Output);
            Assert.Matches(@"bank\s+http://127\.0\.0\.1:\d+\s+\d+\s+True\s+serving", status.Output);

            var doubleSpend = await ContrastAsync("double-spend");
            var bank = doubleSpend.GetProperty("experiments")[0].GetProperty("bank").GetProperty("racers_2");
            Assert.Equal(1, bank.GetProperty("succeeded").GetInt32());
            Assert.Equal(1, bank.GetProperty("rejections").GetProperty("INSUFFICIENT_FUNDS").GetInt32());
            var chain = doubleSpend.GetProperty("experiments")[0].GetProperty("chain");
            Assert.True(chain.GetProperty("loser_conflicted_on_every_node").GetBoolean());
            Assert.NotEqual(chain.GetProperty("winner").GetString(), chain.GetProperty("loser").GetString());
            Assert.True(doubleSpend.GetProperty("passed").GetBoolean());

            // The guided tour announces the experiment, explains it, runs it and says what it showed.
            var tour = await ServerProcess.RunAsync("contrast.dll", ["tour", "--auto", "0", "--only", "double-spend", "--network-file", Path.Combine(_data, "network.json")], timeout: TimeSpan.FromMinutes(5));
            Assert.True(tour.ExitCode == 0, $"contrast tour exited {tour.ExitCode}: {tour.Stderr}\n{tour.Stdout}");
            Assert.Contains("── Experiment 1 of 1: Double spend ──", tour.Stdout, StringComparison.Ordinal);
            Assert.Contains("The bank's one ledger decides at once", tour.Stdout, StringComparison.Ordinal);
            Assert.Contains("Double spend — bank: exactly one of 2", tour.Stdout, StringComparison.Ordinal);
            var badTour = await ServerProcess.RunAsync("contrast.dll", ["tour", "--only", "nonsense", "--network-file", Path.Combine(_data, "network.json")]);
            Assert.Equal((3, true), (badTour.ExitCode, badTour.Stderr.Contains("There is no experiment 'nonsense'", StringComparison.Ordinal)));

            var partition = await ContrastAsync("partition");
            var reversed = partition.GetProperty("experiments")[0].GetProperty("chain");
            Assert.Equal("conflicted", reversed.GetProperty("bob_status_after_heal").GetString());
            Assert.True(reversed.GetProperty("bob_confirmations_before_heal").GetUInt32() >= 3);
            Assert.True(reversed.GetProperty("blocks_reorganised").GetUInt32() >= 1);
            Assert.Equal("UNAVAILABLE", partition.GetProperty("experiments")[0].GetProperty("bank").GetProperty("cut_off_client_answer").GetString());
            Assert.True(File.Exists(Path.Combine(_data, "report", "report.html")));
            // The partition removed and re-added peers: every node lists exactly its real connections again.
            await EveryNodeListsOnlyItsRealPeersAsync(network);

            // A partition longer than 144 blocks heals too (on lab nodes of its own): the report says how deep.
            var deep = (await ContrastAsync("partition", "--long")).GetProperty("experiments")[0].GetProperty("chain");
            Assert.Equal("conflicted", deep.GetProperty("bob_status_after_heal").GetString());
            Assert.Equal(200u, deep.GetProperty("bob_confirmations_before_heal").GetUInt32());
            Assert.True(deep.GetProperty("blocks_reorganised").GetUInt32() > 144, deep.ToString());
            Assert.True(deep.GetProperty("heal_seconds").GetDouble() < 30, deep.ToString());

            // Outage: the downtime a client saw is at least the time the bank was down, at most
            // that plus its startup and one request's round; a node killed and restarted leaves
            // every node with exactly its real connections (2 in a mesh of 3), no ghost.
            var outage = await ContrastAsync("outage");
            var bankOutage = outage.GetProperty("experiments")[0].GetProperty("bank");
            var downtime = bankOutage.GetProperty("downtime_seen_by_client_ms").GetDouble();
            var keptDown = bankOutage.GetProperty("kept_down_ms").GetDouble();
            var startup = bankOutage.GetProperty("restart_to_serving_ms").GetDouble();
            Assert.True(downtime >= keptDown && downtime <= keptDown + startup + 2_100, $"downtime {downtime} ms, kept down {keptDown} ms, startup {startup} ms");
            // "Every request failed" is said of those sent while it was down, and counted apart.
            Assert.True(bankOutage.GetProperty("sent_while_down").GetInt32() > 0, bankOutage.ToString());
            Assert.Equal(bankOutage.GetProperty("sent_while_down").GetInt32(), bankOutage.GetProperty("failed_while_down").GetInt32());
            await EveryNodeListsOnlyItsRealPeersAsync(network);

            // Management overhead: one copy against three; a rolling upgrade of the nodes that no
            // payment noticed against one restart of the bank that its client did.
            var manage = await ContrastAsync("manage");
            var bankManage = manage.GetProperty("experiments")[0].GetProperty("bank");
            var chainManage = manage.GetProperty("experiments")[0].GetProperty("chain");
            Assert.Equal((1, 3), (bankManage.GetProperty("ledger_copies").GetInt32(), chainManage.GetProperty("ledger_copies").GetInt32()));
            Assert.True(bankManage.GetProperty("upgrade_downtime_seen_by_client_ms").GetDouble() > 0);
            Assert.Equal(0, chainManage.GetProperty("upgrade_payments_no_node_took").GetInt32());
            Assert.True(chainManage.GetProperty("upgrade_payments_made").GetInt32() > 0);
            Assert.True(chainManage.GetProperty("bytes_on_disk").GetInt64() > bankManage.GetProperty("bytes_on_disk").GetInt64() / 100);
            // Totals hold whatever the experiments stored: both sides are also given per stored entry.
            Assert.True(bankManage.GetProperty("journal_entries").GetInt64() > 0 && bankManage.GetProperty("bytes_per_journal_entry").GetDouble() > 0, bankManage.ToString());
            Assert.True(chainManage.GetProperty("payments_stored").GetInt64() > 0 && chainManage.GetProperty("bytes_per_block_per_copy").GetDouble() > 0, chainManage.ToString());

            // Scalability: a figure per bank client count and per chain network size, each with what produced it.
            var scale = (await ContrastAsync("scale", "--quick", "--clients", "1,8", "--nodes", "3,5")).GetProperty("experiments")[0];
            var bankLevels = scale.GetProperty("bank").GetProperty("levels").EnumerateArray().ToList();
            Assert.Equal([1, 8], bankLevels.Select(l => l.GetProperty("clients").GetInt32()));
            Assert.All(bankLevels, l =>
            {
                var rate = l.GetProperty("transfers_per_second").GetDouble();
                var ci = l.GetProperty("transfers_per_second_95ci").EnumerateArray().Select(v => v.GetDouble()).ToList();
                Assert.True(rate > 0 && ci[0] <= rate && rate <= ci[1], l.ToString());
            });
            Assert.Contains(scale.GetProperty("bank").GetProperty("saturated_at_clients").GetInt32(), new[] { 1, 8 });
            var chainLevels = scale.GetProperty("chain").GetProperty("levels").EnumerateArray().ToList();
            Assert.Equal([3, 5], chainLevels.Select(l => l.GetProperty("nodes").GetInt32()));
            Assert.All(chainLevels, l =>
            {
                Assert.True(l.GetProperty("arrival_samples").GetInt32() >= l.GetProperty("blocks").GetInt32() * (l.GetProperty("nodes").GetInt32() - 1), l.ToString());
                Assert.True(l.GetProperty("bytes_per_node_per_block").GetDouble() > 0, l.ToString());
            });
            Assert.Contains("relay-only", scale.GetProperty("chain").GetProperty("network").GetString());

            // Forks: at each interval, blocks mined and stale, beside a propagation delay that the
            // simulated 50 ms links must show (a new block is pushed to its peers in one call, which waits 50 ms).
            var forks = (await ContrastAsync("forks", "--quick", "--link-latency", "50ms")).GetProperty("experiments")[0].GetProperty("chain");
            Assert.Equal(50, forks.GetProperty("link_latency_ms").GetDouble());
            var forkLevels = forks.GetProperty("levels").EnumerateArray().ToList();
            Assert.Equal([0.25, 0.5, 1], forkLevels.Select(l => l.GetProperty("mean_interval_s").GetDouble()));
            Assert.All(forkLevels, l =>
            {
                Assert.True(l.GetProperty("blocks_mined").GetInt32() >= 10 && l.GetProperty("stale_rate").GetDouble() is >= 0 and < 1, l.ToString());
                Assert.True(l.GetProperty("propagation_to_all_median_ms").GetDouble() >= 50, l.ToString());
                // Every stale rate carries its Wilson interval and the model's prediction beside it.
                var ci = l.GetProperty("stale_rate_95ci").EnumerateArray().Select(v => v.GetDouble()).ToList();
                Assert.True(ci[0] <= l.GetProperty("stale_rate").GetDouble() + 0.001 && l.GetProperty("stale_rate").GetDouble() <= ci[1] + 0.001, l.ToString());
                Assert.True(l.GetProperty("model_stale_rate").GetDouble() is > 0 and < 1, l.ToString());
            });

            // Security, tried: every forged request refused with its reason, the stolen credential obeyed on both sides.
            var security = (await ContrastAsync("security")).GetProperty("experiments")[0];
            Assert.True(security.GetProperty("passed").GetBoolean(), security.GetProperty("notes").ToString());
            Assert.All(security.GetProperty("bank").GetProperty("attempts").EnumerateArray(), a => Assert.Equal(a.GetProperty("expected").GetString(), a.GetProperty("answer").GetString()));
            Assert.All(security.GetProperty("chain").GetProperty("attempts").EnumerateArray(), a => Assert.Equal("TX_BAD_SIGNATURE", a.GetProperty("answer").GetString()));
            Assert.Equal(("OK", "OK"), (security.GetProperty("bank").GetProperty("stolen_token_transfer").GetString(), security.GetProperty("chain").GetProperty("stolen_key_payment").GetString()));

            // The hybrid: a light wallet from nothing proves its payment keeping a fraction of a full
            // node's bytes; a lying node's forged and hidden payments are judged; the bank's client
            // shows whatever a lying server says.
            var hybrid = (await ContrastAsync("hybrid")).GetProperty("experiments")[0];
            Assert.True(hybrid.GetProperty("passed").GetBoolean(), hybrid.GetProperty("notes").ToString());
            var light = hybrid.GetProperty("chain");
            Assert.True(light.GetProperty("light_bytes_on_disk").GetInt64() * 10 < light.GetProperty("full_node_bytes_on_disk").GetInt64(), light.ToString());
            Assert.True(light.GetProperty("light_bytes_downloaded").GetInt64() > 0 && light.GetProperty("full_node_bytes_received").GetInt64() > 0, light.ToString());
            var lies = light.GetProperty("lies");
            Assert.Contains("liar named", lies.GetProperty("forged_payment").GetProperty("beside_an_honest_node").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("showed nothing", lies.GetProperty("forged_payment").GetProperty("alone").GetString(), StringComparison.Ordinal);
            Assert.Contains("liar named", lies.GetProperty("hidden_payment").GetProperty("beside_an_honest_node").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("showed 0 ", lies.GetProperty("hidden_payment").GetProperty("alone").GetString(), StringComparison.Ordinal);
            var bankHybrid = hybrid.GetProperty("bank");
            Assert.NotEqual(bankHybrid.GetProperty("ledger_balance").GetString(), bankHybrid.GetProperty("lying_server_balance_shown").GetString());

            // The same over a history of full blocks on a private chain: the filters, not the
            // headers, are then most of what the light wallet downloads, and it is still a fraction.
            var filled = (await ContrastAsync("hybrid", "--history", "30", "--payments-per-block", "4")).GetProperty("experiments")[0];
            Assert.True(filled.GetProperty("passed").GetBoolean(), filled.GetProperty("notes").ToString());
            var filledChain = filled.GetProperty("chain");
            Assert.Equal(30, filledChain.GetProperty("history").GetProperty("blocks").GetInt32());
            Assert.True(filledChain.GetProperty("height").GetUInt32() > 30, filledChain.ToString());
            Assert.True(filledChain.GetProperty("light_bytes_downloaded_per_block").GetDouble() < filledChain.GetProperty("full_node_bytes_received_per_block").GetDouble(), filledChain.ToString());
            Assert.True(filledChain.GetProperty("light_filters_share_of_full_node_download_percent").GetDouble() > 0, filledChain.ToString());
            var unsized = await ServerProcess.RunAsync("contrast.dll", ["hybrid", "--payments-per-block", "4", "--network-file", Path.Combine(_data, "network.json")]);
            Assert.Equal((3, "--payments-per-block sizes the blocks of --history: add --history."), (unsized.ExitCode, unsized.Stderr.Trim()));
        }
        finally
        {
            var stop = await RunNetworkScript.RunAsync(_data, "-Stop");
            Assert.True(stop.ExitCode == 0, stop.Output);
        }
        Assert.All(pids, pid => Assert.False(RunNetworkScript.IsRunning(pid), $"process {pid} is still running after -Stop"));
        Assert.False(File.Exists(Path.Combine(_data, "network.json")));

        // Started again on the same data directory: the same customers and accounts, not a second alice.
        var again = await RunNetworkScript.RunAsync(_data, "-Nodes", "3", "-BasePort", $"{_basePort}", "-BlockInterval", "1s", "-CoinbaseMaturity", "3", "-NoBuild");
        try
        {
            Assert.True(again.ExitCode == 0, again.Output);
            Assert.Contains("Reusing bank customers", again.Output, StringComparison.Ordinal);
            var customersAgain = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_data, "network.json"))).RootElement.GetProperty("customers");
            foreach (var name in new[] { "alice", "bob", "carol" })
            {
                Assert.Equal(network.GetProperty("customers").GetProperty(name).GetProperty("account_id").GetString(), customersAgain.GetProperty(name).GetProperty("account_id").GetString());
            }
            // Files a user may paste from start without a byte-order mark.
            foreach (var file in new[] { "network.json", "customers.json", Path.Combine("bank", "admin.token") })
            {
                Assert.NotEqual(0xEF, (await File.ReadAllBytesAsync(Path.Combine(_data, file)))[0]);
            }
        }
        finally
        {
            await RunNetworkScript.RunAsync(_data, "-Stop");
        }
    }

    /// <summary>In a mesh of 3, each node lists the other two, once each: no ghost of a dead, restarted or removed peer.</summary>
    private static async Task EveryNodeListsOnlyItsRealPeersAsync(JsonElement network)
    {
        var urls = network.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("url").GetString()!).ToList();
        await Poll.UntilSuccessAsync(async () =>
        {
            foreach (var url in urls)
            {
                using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(url);
                var peers = (await new Protos.Chain.V1.NodeService.NodeServiceClient(channel).ListPeersAsync(new Protos.Chain.V1.ListPeersRequest())).Peers;
                Assert.True(peers.Count == 2 && peers.Select(p => p.Address).Distinct().Count() == 2, $"{url} lists {string.Join(", ", peers.Select(p => p.Address))}");
            }
            return true;
        }, TimeSpan.FromSeconds(60));
    }

    private async Task<JsonElement> ContrastAsync(string experiment, params string[] options)
    {
        var run = await ServerProcess.RunAsync("contrast.dll", [experiment, "--json", "--network-file", Path.Combine(_data, "network.json"), "-k", "3", .. options],
            timeout: TimeSpan.FromMinutes(8));
        Assert.True(run.ExitCode == 0, $"contrast {experiment} exited {run.ExitCode}: {run.Stderr}\n{run.Stdout}");
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }

    public void Dispose()
    {
        TempDirectory.Delete(Path.GetDirectoryName(_data)!);
    }
}
