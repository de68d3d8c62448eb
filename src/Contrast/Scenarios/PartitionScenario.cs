using Grpc.Core;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Rpc;
using ChainState = LedgerContrast.Protos.Chain.V1.TransactionStatus.Types.State;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// A 51 % attack after a partition: bob is paid on the minority side and sees k confirmations;
/// the majority spends the same coins to carol and out-mines it; when the network heals, bob's
/// "confirmed" payment is reversed. The bank's counterpart: a cut-off client gets errors, not a
/// double spend (consistency over availability). The long version (<c>--long</c>) keeps the
/// sides apart for longer than 144 blocks, on a regtest lab network of its own where blocks cost
/// nothing: the heal still reorganises the minority onto the heavier branch, however deep.
/// </summary>
public static class PartitionScenario
{
    /// <summary>How many blocks' work the majority must lead by before the partition heals.</summary>
    public const int LeadBlocks = 3;

    /// <summary>The long partition: blocks both sides share, then each side's own (more than the 144 blocks a node stores unasked).</summary>
    public const int LongSharedBlocks = 20, LongMinorityBlocks = 200, LongMajorityBlocks = 260;

    /// <param name="emulate">Partition by dropping packets on the emulated network's switch (contrast partition --emulate), not by asking the nodes to drop each other.</param>
    public static async Task<ScenarioResult> RunAsync(LabNetwork lab, int confirmations, bool longPartition = false, bool emulate = false)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var partition = LabPartition.Of(lab.File, emulate);
        if (!longPartition && lab.Nodes.Count < 3)
        {
            throw new Shared.Cli.CliException("TOO_FEW_NODES", "The partition experiment needs at least 3 nodes (a minority of 1 and a majority of 2).");
        }
        var result = new ScenarioResult("partition");
        var progress = new Progress("partition");
        var bankVerdict = lab.HasBank ? await RunBankAsync(lab, result, progress, partition).ConfigureAwait(false) : "(no bank in this network)";
        var chainVerdict = longPartition
            ? await RunLongChainAsync(lab, result, progress, partition.DropsPackets).ConfigureAwait(false)
            : await RunChainAsync(lab, result, progress, confirmations, partition).ConfigureAwait(false);
        result.Chain["partition_by"] = partition.How;
        // The replicated bank's answer to a partition needs one that drops packets between its replicas.
        var replicatedVerdict = partition.Emulation is { } emulation && lab.Replicated is { } replicas
            ? await ReplicatedPartition.RunAsync(replicas, emulation, result, progress).ConfigureAwait(false)
            : null;
        result.Verdicts.Add(new Verdict("Finality", bankVerdict, chainVerdict, replicatedVerdict));
        result.Seconds = progress.Elapsed.TotalSeconds;
        result.Steps.AddRange(progress.Steps);
        return result;
    }

    private static async Task<string> RunBankAsync(LabNetwork lab, ScenarioResult result, Progress progress, LabPartition partition)
    {
        var alice = await BankLab.NewCustomerAsync(lab, "pt-alice", 100_00000000).ConfigureAwait(false);
        var bob = await BankLab.NewCustomerAsync(lab, "pt-bob", 0).ConfigureAwait(false);
        var carol = await BankLab.NewCustomerAsync(lab, "pt-carol", 0).ConfigureAwait(false);
        var reachable = lab.Bank(alice.Token);
        progress.Step($"bank: {alice.Name} (a new customer holding 100) pays bob from a connected client; a cut-off client tries to pay carol the same money");
        var paid = await reachable.TransferAsync(new TransferRequest { FromAccountId = alice.AccountId, ToAccountId = bob.AccountId, Amount = 100_00000000, IdempotencyKey = Guid.NewGuid().ToString("N") });
        // A client on the far side of a partition: its requests cannot reach the one server. In an
        // emulated network the switch drops every packet between the bank and the clients, and the
        // client connects afresh, giving up after 2 s as a real one would; on loopback it dials a
        // port nothing listens on.
        if (partition.Emulation is { } emulation)
        {
            progress.Step("bank: partition: bank | clients (the switch drops every packet between them)");
            Emulation.EmulatedNetwork.Cut(emulation, ["bank"], [Emulation.EmulatedNetwork.Clients]);
        }
        string cutOffAnswer;
        try
        {
            var cutOff = partition.DropsPackets ? lab.BankConnectingWithin(alice.Token, TimeSpan.FromSeconds(2)) : lab.Bank(alice.Token, "http://127.0.0.1:9");
            await cutOff.TransferAsync(new TransferRequest { FromAccountId = alice.AccountId, ToAccountId = carol.AccountId, Amount = 100_00000000, IdempotencyKey = "pt-carol" }, deadline: DateTime.UtcNow.AddSeconds(5));
            cutOffAnswer = "accepted";
        }
        catch (RpcException ex)
        {
            cutOffAnswer = ex.StatusCode.ToString().ToUpperInvariant();
        }
        finally
        {
            if (partition.Emulation is { } healing)
            {
                Emulation.EmulatedNetwork.Heal(healing);
            }
        }
        string healedAnswer;
        try
        {
            await reachable.TransferAsync(new TransferRequest { FromAccountId = alice.AccountId, ToAccountId = carol.AccountId, Amount = 100_00000000, IdempotencyKey = "pt-carol" });
            healedAnswer = "accepted";
        }
        catch (RpcException ex)
        {
            healedAnswer = RpcErrors.Describe(ex).Reason;
        }
        result.Bank["transfer_to_bob"] = paid.EntryId;
        result.Bank["cut_off_client_answer"] = cutOffAnswer;
        result.Bank["after_reconnecting"] = healedAnswer;
        result.Expect(cutOffAnswer == "UNAVAILABLE" && healedAnswer == "INSUFFICIENT_FUNDS", $"bank: cut-off client got {cutOffAnswer}, then {healedAnswer}");
        progress.Step($"bank: the cut-off client got {cutOffAnswer}; once reconnected, {healedAnswer}: bob's payment {paid.EntryId} stays final");
        return $"final at commit: bob's payment {paid.EntryId} can never be undone by a partition; a cut-off client just gets {cutOffAnswer} (consistency over availability), and after reconnecting {healedAnswer}";
    }

    /// <summary>
    /// How many blocks at today's difficulty (the leader's tip's target) one chain's work exceeds
    /// the other's by. Not the chain's average work per block: on a network a few minutes old the
    /// difficulty is still climbing from the start, the average is a fraction of a block found now,
    /// and a "lead of three average blocks" was less than one real one — the minority then won
    /// the heal with the next block it found.
    /// </summary>
    public static double BlocksAhead(ChainInfo leader, ChainInfo other, uint leaderTipBits)
    {
        ArgumentNullException.ThrowIfNull(leader);
        ArgumentNullException.ThrowIfNull(other);
        var lead = ChainLab.Work(leader) - ChainLab.Work(other);
        return (double)lead / (double)Target.Work(leaderTipBits);
    }

    private static async Task<string> RunChainAsync(LabNetwork lab, ScenarioResult result, Progress progress, int k, LabPartition partition)
    {
        LabNode[] minority = [lab.Nodes[0]];
        LabNode[] majority = [.. lab.Nodes.Skip(1)];
        using var alice = lab.Wallets.Load("alice");
        using var bob = lab.Wallets.Load("bob");
        using var carol = lab.Wallets.Load("carol");
        var (toBob, toCarol) = await ConflictingPaymentsAsync(progress, minority[0], alice, bob, carol).ConfigureAwait(false);

        await PartitionAsync(progress, minority, majority, partition).ConfigureAwait(false);

        await ChainLab.SubmitAsync(minority[0], toBob).ConfigureAwait(false);
        progress.Step($"chain: minority: pay bob {ChainLab.Abbreviate(toBob.Txid)}; waiting for {k} confirmations");
        async Task<string> HeightsAsync() =>
            $"minority at height {(await ChainLab.InfoAsync(minority[0]).ConfigureAwait(false)).Height}, majority at {(await ChainLab.InfoAsync(majority[0]).ConfigureAwait(false)).Height}";
        await progress.UntilAsync($"bob's payment reaching {k} confirmations on the minority", async () =>
            (await ChainLab.StatusAsync(minority[0], toBob.Txid).ConfigureAwait(false)).Confirmations >= k, TimeSpan.FromMinutes(10), HeightsAsync).ConfigureAwait(false);
        var bobConfirmed = await ChainLab.StatusAsync(minority[0], toBob.Txid).ConfigureAwait(false);
        progress.Step($"chain: bob sees {bobConfirmed.Confirmations} confirmations at height {bobConfirmed.BlockHeight}: a merchant would ship");

        await ChainLab.SubmitAsync(majority[0], toCarol).ConfigureAwait(false);
        progress.Step($"chain: majority: the same coins to carol {ChainLab.Abbreviate(toCarol.Txid)}; waiting for it to out-mine the minority");
        await progress.UntilAsync($"the majority chain to carry {LeadBlocks} blocks' more work than the minority's", async () =>
        {
            var carolStatus = await ChainLab.StatusAsync(majority[0], toCarol.Txid).ConfigureAwait(false);
            var minorityInfo = await ChainLab.InfoAsync(minority[0]).ConfigureAwait(false);
            var majorityInfo = await ChainLab.InfoAsync(majority[0]).ConfigureAwait(false);
            var majorityTip = await majority[0].Api.GetBlockAsync(new GetBlockRequest { Hash = majorityInfo.TipHash }, deadline: LabNode.Deadline()).ConfigureAwait(false);
            // Nodes switch on strictly more work. A lead of one block is a coin toss at the heal: the
            // minority keeps mining and may find the next block first, and then the majority would
            // follow it. A lead of a few blocks is what a real attacker waits for.
            return carolStatus.State == ChainState.Confirmed && BlocksAhead(majorityInfo, minorityInfo, majorityTip.Block.Header.Bits) > LeadBlocks;
        }, TimeSpan.FromMinutes(10), HeightsAsync).ConfigureAwait(false);
        var minorityTipBefore = await ChainLab.InfoAsync(minority[0]).ConfigureAwait(false);

        progress.Step($"chain: heal ({partition.HealHow})");
        var healing = System.Diagnostics.Stopwatch.StartNew();
        await partition.HealAsync(minority, majority).ConfigureAwait(false);
        await progress.UntilAsync("the minority to reorganise onto the heavier chain and report bob's payment reversed", async () =>
        {
            var status = await ChainLab.StatusAsync(minority[0], toBob.Txid).ConfigureAwait(false);
            return status.State == ChainState.Conflicted;
        }, TimeSpan.FromMinutes(5), async () =>
        {
            var status = await ChainLab.StatusAsync(minority[0], toBob.Txid).ConfigureAwait(false);
            var peers = await minority[0].Api.ListPeersAsync(new ListPeersRequest()).ConfigureAwait(false);
            return $"{await HeightsAsync().ConfigureAwait(false)}; bob's payment {status.State.ToString().ToLowerInvariant()} on the minority; it has {peers.Peers.Count} peers";
        }).ConfigureAwait(false);
        var reversed = await ChainLab.StatusAsync(minority[0], toBob.Txid).ConfigureAwait(false);
        var tips = await minority[0].Api.GetChainTipsAsync(new GetChainTipsRequest()).ConfigureAwait(false);
        var orphaned = tips.Tips.Where(t => t.Status == ChainTip.Types.Status.ValidFork).OrderByDescending(t => t.Height).FirstOrDefault();
        var reorganised = orphaned?.BranchLength ?? 0;
        result.Chain["heal_seconds"] = Math.Round(healing.Elapsed.TotalSeconds, 2);
        progress.Step($"chain: bob's payment, once {bobConfirmed.Confirmations}-confirmed, is now conflicted by {ChainLab.Abbreviate(ChainProto.HashFromProto(reversed.ConflictingTxid, "txid"))}; {reorganised} blocks were reorganised");

        await DrawTreeAsync(lab, minority[0], tips, toBob.Txid, toCarol.Txid, result).ConfigureAwait(false);
        result.Chain["minority"] = minority.Select(n => n.Name).ToList();
        result.Chain["majority"] = majority.Select(n => n.Name).ToList();
        result.Chain["payment_to_bob"] = toBob.Txid.ToString();
        result.Chain["payment_to_carol"] = toCarol.Txid.ToString();
        result.Chain["bob_confirmations_before_heal"] = bobConfirmed.Confirmations;
        result.Chain["bob_block_height"] = bobConfirmed.BlockHeight;
        result.Chain["minority_height_before_heal"] = minorityTipBefore.Height;
        result.Chain["bob_status_after_heal"] = reversed.State.ToString().ToLowerInvariant();
        result.Chain["bob_conflicted_by"] = Convert.ToHexStringLower(reversed.ConflictingTxid.Span);
        result.Chain["blocks_reorganised"] = reorganised;
        result.Expect(reversed.State == ChainState.Conflicted && ChainProto.HashFromProto(reversed.ConflictingTxid, "txid") == toCarol.Txid,
            "chain: bob's payment was not reported conflicted by carol's after the heal");
        return $"probabilistic: bob's payment had {bobConfirmed.Confirmations} confirmations on the minority, then the majority's heavier branch reversed it ({reorganised} blocks reorganised; it is now conflicted by carol's payment)";
    }

    /// <summary>Two spends of one coin of alice's, signed now and sent later: to bob (on the minority) and to carol (on the majority).</summary>
    private static async Task<(Shared.Chain.Transaction ToBob, Shared.Chain.Transaction ToCarol)> ConflictingPaymentsAsync(Progress progress, LabNode node, Shared.Crypto.PrivateKey alice, Shared.Crypto.PrivateKey bob, Shared.Crypto.PrivateKey carol)
    {
        var networkId = ChainLab.NetworkId(await ChainLab.InfoAsync(node).ConfigureAwait(false));
        var coin = await ChainLab.WaitForCoinAsync(progress, node, alice).ConfigureAwait(false);
        return (ChainLab.Pay(coin, alice, bob, networkId), ChainLab.Pay(coin, alice, carol, networkId));
    }

    /// <summary>
    /// Cuts the sides apart. Nodes asked to remove each other are waited for until none lists one
    /// of the other side; packets dropped by the switch need no wait (the nodes notice by timing out).
    /// </summary>
    private static async Task PartitionAsync(Progress progress, LabNode[] minority, LabNode[] majority, LabPartition partition)
    {
        progress.Step($"chain: partition: {string.Join(",", minority.Select(n => n.Name))} | {string.Join(",", majority.Select(n => n.Name))} ({partition.How})");
        await partition.CutAsync(minority, majority).ConfigureAwait(false);
        if (partition.DropsPackets)
        {
            return;
        }
        await progress.UntilAsync("the two sides to be disconnected", async () =>
        {
            foreach (var node in minority.Concat(majority))
            {
                var peers = await node.Api.ListPeersAsync(new ListPeersRequest()).ConfigureAwait(false);
                var others = minority.Contains(node) ? majority : minority;
                if (peers.Peers.Any(p => others.Any(o => o.Url.EndsWith(p.Address, StringComparison.Ordinal))))
                {
                    return false;
                }
            }
            return true;
        }, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    /// <summary>
    /// A partition longer than 144 blocks, on 3 regtest lab nodes of its own (a real network would
    /// take 12 minutes a side at 5 s blocks): bob is paid on the minority and sees 200
    /// confirmations; the majority spends the same coin to carol and mines 260 blocks; at the heal
    /// the minority fetches the majority's headers, finds them heavier, and reorganises 200 blocks deep.
    /// </summary>
    private static async Task<string> RunLongChainAsync(LabNetwork lab, ScenarioResult result, Progress progress, bool emulate)
    {
        progress.Step($"chain: a partition longer than 144 blocks, on a lab network of 3 regtest nodes of its own: {LongSharedBlocks} shared blocks, then the minority mines {LongMinorityBlocks} of its own and the majority {LongMajorityBlocks}");
        // Emulated: the lab's nodes on the run's switch, their links shaped as the run's are.
        await using var chain = await PrivateChain.StartAsync(lab.File, 3, TimeSpan.Zero, 2, progress, emulate ? Emulation.LinkShape.Of(lab.File.Emulation!.Link) : null).ConfigureAwait(false);
        LabNode[] minority = [chain.Nodes[0]];
        LabNode[] majority = [.. chain.Nodes.Skip(1)];
        using var alice = Shared.Crypto.PrivateKey.Generate();
        using var bob = Shared.Crypto.PrivateKey.Generate();
        using var carol = Shared.Crypto.PrivateKey.Generate();
        await minority[0].Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = LongSharedBlocks, Address = await ChainLab.AddressAsync(minority[0], alice).ConfigureAwait(false) }, deadline: LabNode.Deadline(60)).ConfigureAwait(false);
        await chain.WaitForOneTipAsync(progress, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var (toBob, toCarol) = await ConflictingPaymentsAsync(progress, minority[0], alice, bob, carol).ConfigureAwait(false);
        await PartitionAsync(progress, minority, majority, chain.Partition).ConfigureAwait(false);

        await ChainLab.SubmitAsync(minority[0], toBob).ConfigureAwait(false);
        await minority[0].Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = LongMinorityBlocks, Address = chain.MinerAddresses[0] }, deadline: LabNode.Deadline(120)).ConfigureAwait(false);
        var bobConfirmed = await ChainLab.StatusAsync(minority[0], toBob.Txid).ConfigureAwait(false);
        progress.Step($"chain: minority: bob's payment {ChainLab.Abbreviate(toBob.Txid)} has {bobConfirmed.Confirmations} confirmations");
        await ChainLab.SubmitAsync(majority[0], toCarol).ConfigureAwait(false);
        await majority[0].Admin.GenerateBlocksAsync(new GenerateBlocksRequest { Count = LongMajorityBlocks, Address = chain.MinerAddresses[1] }, deadline: LabNode.Deadline(120)).ConfigureAwait(false);
        var heavier = await ChainLab.InfoAsync(majority[0]).ConfigureAwait(false);
        progress.Step($"chain: majority: the same coin to carol {ChainLab.Abbreviate(toCarol.Txid)}, and {LongMajorityBlocks} blocks: its tip is at height {heavier.Height}, the minority's at {(await ChainLab.InfoAsync(minority[0]).ConfigureAwait(false)).Height}");

        progress.Step($"chain: heal ({chain.Partition.HealHow})");
        var healing = System.Diagnostics.Stopwatch.StartNew();
        await chain.Partition.HealAsync(minority, majority).ConfigureAwait(false);
        await progress.UntilAsync("every lab node on the heavier tip", async () =>
        {
            foreach (var node in chain.Nodes)
            {
                if ((await ChainLab.InfoAsync(node).ConfigureAwait(false)).TipHash != heavier.TipHash)
                {
                    return false;
                }
            }
            return true;
        }, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        var healSeconds = healing.Elapsed.TotalSeconds;
        var reversed = await ChainLab.StatusAsync(minority[0], toBob.Txid).ConfigureAwait(false);
        var tips = await minority[0].Api.GetChainTipsAsync(new GetChainTipsRequest()).ConfigureAwait(false);
        var reorganised = tips.Tips.Where(t => t.Status == ChainTip.Types.Status.ValidFork).Select(t => t.BranchLength).DefaultIfEmpty(0u).Max();
        progress.Step(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"chain: every node on the heavier tip {healSeconds:F1} s after the heal; the minority reorganised {reorganised} blocks deep; bob's payment is {reversed.State.ToString().ToLowerInvariant()}"));

        result.Chain["partition"] = "long";
        result.Chain["network"] = "3 lab regtest nodes: minority lab1, majority lab2 and lab3";
        result.Chain["shared_blocks"] = LongSharedBlocks;
        result.Chain["minority_blocks"] = LongMinorityBlocks;
        result.Chain["majority_blocks"] = LongMajorityBlocks;
        result.Chain["payment_to_bob"] = toBob.Txid.ToString();
        result.Chain["payment_to_carol"] = toCarol.Txid.ToString();
        result.Chain["bob_confirmations_before_heal"] = bobConfirmed.Confirmations;
        result.Chain["bob_status_after_heal"] = reversed.State.ToString().ToLowerInvariant();
        result.Chain["blocks_reorganised"] = reorganised;
        result.Chain["heal_seconds"] = Math.Round(healSeconds, 2);
        result.Expect(reorganised > 144 && reversed.State == ChainState.Conflicted && ChainProto.HashFromProto(reversed.ConflictingTxid, "txid") == toCarol.Txid,
            $"chain: after the long partition the minority reorganised {reorganised} blocks and bob's payment is {reversed.State}, not conflicted by carol's");
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"probabilistic, however deep: bob's payment had {bobConfirmed.Confirmations} confirmations on the minority; {healSeconds:F1} s after the heal the majority's heavier branch had reversed it, {reorganised} blocks deep (it is now conflicted by carol's payment)");
    }

    /// <summary>The block tree around the fork, for the report's drawing: the active chain, the orphaned branch, both payments' blocks and each block's miner.</summary>
    private static async Task DrawTreeAsync(LabNetwork lab, LabNode node, GetChainTipsReply tips, Hash256 bobTxid, Hash256 carolTxid, ScenarioResult result)
    {
        var miners = lab.MinerNames();
        var orphaned = tips.Tips.Where(t => t.Status == ChainTip.Types.Status.ValidFork).OrderByDescending(t => t.Height).FirstOrDefault();
        var active = tips.Tips.First(t => t.Status == ChainTip.Types.Status.Active);
        var forkHeight = orphaned is null ? active.Height : orphaned.Height - orphaned.BranchLength;
        async Task WalkAsync(Google.Protobuf.ByteString tip, bool isActive, uint downTo)
        {
            var hash = tip;
            while (true)
            {
                var reply = await node.Api.GetBlockAsync(new GetBlockRequest { Hash = hash }).ConfigureAwait(false);
                if (reply.Height < downTo || result.BlockTree.Any(b => b.Hash == Convert.ToHexStringLower(reply.Hash.Span)))
                {
                    return;
                }
                var txids = reply.Block.Transactions.Select(t => ChainProto.FromProto(t).Txid).ToList();
                var payment = txids.Contains(bobTxid) ? "bob's payment" : txids.Contains(carolTxid) ? "carol's payment" : null;
                var coinbaseKey = reply.Block.Transactions.FirstOrDefault()?.Outputs.FirstOrDefault()?.PublicKey;
                var minedBy = coinbaseKey is null ? null : miners.GetValueOrDefault(Convert.ToHexStringLower(coinbaseKey.Span));
                result.BlockTree.Add(new TreeBlock(Convert.ToHexStringLower(reply.Hash.Span), reply.Height, Convert.ToHexStringLower(reply.Block.Header.PreviousHash.Span), isActive, minedBy, payment));
                if (reply.Height == 0)
                {
                    return;
                }
                hash = reply.Block.Header.PreviousHash;
            }
        }
        var from = forkHeight > 2 ? forkHeight - 2 : 0;
        await WalkAsync(active.Hash, true, from).ConfigureAwait(false);
        if (orphaned is not null)
        {
            await WalkAsync(orphaned.Hash, false, forkHeight + 1).ConfigureAwait(false);
        }
    }
}
