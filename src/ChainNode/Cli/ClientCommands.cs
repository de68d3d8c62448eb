using System.CommandLine;
using System.Globalization;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Addresses;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;
using OutPoint = LedgerContrast.Shared.Chain.OutPoint;
using Transaction = LedgerContrast.Shared.Chain.Transaction;
using TxInput = LedgerContrast.Shared.Chain.TxInput;
using TxOutput = LedgerContrast.Shared.Chain.TxOutput;
using Spectre.Console;

namespace LedgerContrast.ChainNode.Cli;

/// <summary>The `chain` client verbs: wallets, and questions and orders for one node.</summary>
internal static class ClientCommands
{
    public static readonly Amount DefaultFee = Amount.Parse("0.0001");

    /// <summary>The most outputs `send --outputs` makes: with a few inputs and change, a transaction under the 100,000-byte limit.</summary>
    public const int MaxSendOutputs = 2_400;

    private static readonly Option<string?> s_node = new("--node") { Description = $"Node URL (default: inside a network started by run-network.ps1, its first node from .network/network.json; else {NodeClient.DefaultNode}).", Recursive = true };
    private static readonly Option<string?> s_cookieFile = new("--cookie-file")
    {
        Description = "The node's DIR/.cookie, for admin verbs (mine, mining, peer add/remove); default: $CHAIN_COOKIE_FILE, else the node's data directory from network.json.",
        Recursive = true,
    };
    private static readonly Option<string?> s_walletDir = new("--wallet-dir") { Description = "Wallet directory (default: $CHAIN_WALLET_DIR; else, inside a network started by run-network.ps1, its wallets (.network/wallets); else ~/.ledgercontrast/wallets).", Recursive = true };

    public static void AddTo(RootCommand root, Option<bool> json)
    {
        root.Options.Add(s_node);
        root.Options.Add(s_cookieFile);
        root.Options.Add(s_walletDir);
        root.Subcommands.Add(Wallet(json));
        root.Subcommands.Add(Balance(json));
        root.Subcommands.Add(Utxos(json));
        root.Subcommands.Add(Send(json));
        root.Subcommands.Add(Tx(json));
        root.Subcommands.Add(BlockVerb(json));
        root.Subcommands.Add(Info(json));
        root.Subcommands.Add(Tips(json));
        root.Subcommands.Add(Peers(json));
        root.Subcommands.Add(Mempool(json));
        root.Subcommands.Add(Mine(json));
        root.Subcommands.Add(Mining(json));
        root.Subcommands.Add(Peer(json));
        root.Subcommands.Add(Health(json));
        root.Subcommands.Add(LightCommand.Create(json));
    }

    private static Command Health(Option<bool> json)
    {
        var command = new Command("health", "Ask a node's gRPC health service whether it is serving (exit 0) or not (exit 2).");
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var serving = await HealthProbe.IsServingAsync(node.Url, TimeSpan.FromSeconds(3)).ConfigureAwait(false);
            return serving
                ? output.Success(new { url = node.Url, serving }, c => c.WriteLine($"{node.Url} is serving."))
                : output.Fail(CliOutput.Unreachable, "NOT_SERVING", $"{node.Url} is not serving.");
        }));
        return command;
    }

    private static Command Wallet(Option<bool> json)
    {
        var network = new Option<string>("--network") { Description = "Network the address is shown for.", DefaultValueFactory = _ => ChainParameters.DefaultNetwork };
        var name = new Argument<string>("name") { Description = "Wallet name." };
        var create = new Command("new", "Create a wallet (a new secret key, stored owner-only).") { name, network };
        create.SetAction(parse => Offline(parse, json, output =>
        {
            using var key = Store(parse).Create(parse.GetValue(name)!);
            var address = new Address(ChainParameters.PrefixFor(parse.GetValue(network)!), key.PublicKey).ToString();
            return output.Success(new { wallet = parse.GetValue(name), address }, c => c.MarkupLineInterpolated($"Created wallet [bold]{parse.GetValue(name)}[/]: {address}"));
        }));
        var list = new Command("list", "List wallets and their addresses.") { network };
        list.SetAction(parse => Offline(parse, json, output =>
        {
            var store = Store(parse);
            var rows = store.Names().Select(n =>
            {
                using var key = store.Load(n);
                return new { wallet = n, address = new Address(ChainParameters.PrefixFor(parse.GetValue(network)!), key.PublicKey).ToString() };
            }).ToList();
            return output.Success(new { wallets = rows }, c =>
            {
                var table = new Table().AddColumns("Wallet", "Address");
                rows.ForEach(r => table.AddRow(r.wallet, r.address));
                c.Write(table);
            });
        }));
        var addressName = new Argument<string>("name") { Description = "Wallet name." };
        var address = new Command("address", "Show a wallet's address.") { addressName, network };
        address.SetAction(parse => Offline(parse, json, output =>
        {
            using var key = Store(parse).Load(parse.GetValue(addressName)!);
            var text = new Address(ChainParameters.PrefixFor(parse.GetValue(network)!), key.PublicKey).ToString();
            return output.Success(new { wallet = parse.GetValue(addressName), address = text }, c => c.WriteLine(text));
        }));
        return new Command("wallet", "Local wallets.") { create, list, address, History(json) };
    }

    /// <summary>
    /// A wallet's payments on the node's active chain, newest first: what each transaction paid
    /// to it and took from it. The node keeps no history by address (Bitcoin Core's wallet does
    /// that, not its chain state), so the CLI reads the last --blocks blocks, oldest first,
    /// following the wallet's coins; pending payments come from the mempool.
    /// </summary>
    private static Command History(Option<bool> json)
    {
        var name = new Argument<string>("name") { Description = "Wallet name." };
        var depth = new Option<uint>("--blocks") { Description = "How many of the newest blocks to read.", DefaultValueFactory = _ => 1000 };
        var command = new Command("history", "A wallet's payments, newest first: received, sent and the balance change of each (confirmed ones from the last --blocks blocks, then pending ones).") { name, depth };
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var info = await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: NodeClient.Deadline());
            using var key = Store(parse).Load(parse.GetValue(name)!);
            var mine = key.PublicKey.ToArray();
            var owned = new Dictionary<(string Txid, uint Index), long>();
            var rows = new List<(uint Height, string Txid, long Received, long Sent)>();
            async Task<long> SpentFromUsAsync(Shared.Chain.Transaction tx)
            {
                long sent = 0;
                foreach (var input in tx.IsCoinbase ? [] : tx.Inputs)
                {
                    var spent = (input.PreviousOutput.Txid.ToString(), input.PreviousOutput.Index);
                    if (owned.Remove(spent, out var amount))
                    {
                        sent += amount;
                        continue;
                    }
                    // A coin from before the blocks read, or from a pending parent: ask whose it was.
                    var previous = (await node.Api.GetTransactionAsync(new GetTransactionRequest { Txid = input.PreviousOutput.Txid.ToByteString() }, deadline: NodeClient.Deadline())).Transaction;
                    if (previous is not null && input.PreviousOutput.Index < previous.Outputs.Count && previous.Outputs[(int)input.PreviousOutput.Index].PublicKey.Span.SequenceEqual(mine))
                    {
                        sent += previous.Outputs[(int)input.PreviousOutput.Index].Amount;
                    }
                }
                return sent;
            }
            long ReceivedByUs(Shared.Chain.Transaction tx)
            {
                long received = 0;
                for (var i = 0; i < tx.Outputs.Count; i++)
                {
                    if (tx.Outputs[i].PublicKey.Span.SequenceEqual(mine))
                    {
                        owned[(tx.Txid.ToString(), (uint)i)] = tx.Outputs[i].Amount.MinorUnits;
                        received += tx.Outputs[i].Amount.MinorUnits;
                    }
                }
                return received;
            }
            var from = info.Height >= parse.GetValue(depth) ? info.Height - parse.GetValue(depth) + 1 : 0;
            for (var height = from; height <= info.Height; height++)
            {
                var block = await node.Api.GetBlockAsync(new GetBlockRequest { Height = height }, deadline: NodeClient.Deadline());
                foreach (var tx in block.Block.Transactions.Select(ChainProto.FromProto))
                {
                    var sent = await SpentFromUsAsync(tx);
                    var received = ReceivedByUs(tx);
                    if (sent > 0 || received > 0)
                    {
                        rows.Add((height, tx.Txid.ToString(), received, sent));
                    }
                }
            }
            var pending = (await node.Api.GetMempoolAsync(new GetMempoolRequest(), deadline: NodeClient.Deadline())).Entries;
            foreach (var entry in pending.OrderBy(e => e.ReceivedMs))
            {
                var tx = (await node.Api.GetTransactionAsync(new GetTransactionRequest { Txid = entry.Txid }, deadline: NodeClient.Deadline())).Transaction;
                if (tx is null)
                {
                    continue;
                }
                var parsed = ChainProto.FromProto(tx);
                var sent = await SpentFromUsAsync(parsed);
                var received = ReceivedByUs(parsed);
                if (sent > 0 || received > 0)
                {
                    rows.Add((0, parsed.Txid.ToString(), received, sent));
                }
            }
            rows.Reverse();
            var model = new
            {
                wallet = parse.GetValue(name),
                blocks_read = info.Height - from + 1,
                payments = rows.Select(r => new { height = r.Height == 0 ? (uint?)null : r.Height, status = r.Height == 0 ? "pending" : "confirmed", txid = r.Txid, received = Show(r.Received), sent = Show(r.Sent), change = Show(r.Received - r.Sent) }).ToList(),
            };
            return output.Success(model, c =>
            {
                var table = new Table().AddColumns("Height", "Txid", "Received", "Sent", "Change");
                foreach (var r in model.payments)
                {
                    table.AddRow(r.height?.ToString(CultureInfo.InvariantCulture) ?? "pending", r.txid, r.received, r.sent, r.change);
                }
                c.Write(table);
                c.MarkupLineInterpolated($"{model.payments.Count} payment{(model.payments.Count == 1 ? "" : "s")} in the last {model.blocks_read} block{(model.blocks_read == 1 ? "" : "s")} and the mempool.");
            });
        }));
        return command;
    }

    private static Command Balance(Option<bool> json)
    {
        var (address, wallet) = AddressOrWallet();
        var command = new Command("balance", "Balance of an address or wallet: confirmed, pending, immature.") { address, wallet };
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var who = await ResolveAddressAsync(parse, node, address, wallet).ConfigureAwait(false);
            var reply = await node.Api.GetBalanceAsync(new AddressRequest { Address = who }, deadline: NodeClient.Deadline());
            var model = new { address = who, confirmed = Show(reply.Confirmed), unconfirmed = Show(reply.Unconfirmed), immature = Show(reply.Immature) };
            return output.Success(model, c => c.MarkupLineInterpolated($"{who}: [bold]{model.confirmed}[/] confirmed, {model.unconfirmed} pending, {model.immature} immature (coinbase)"));
        }));
        return command;
    }

    private static Command Utxos(Option<bool> json)
    {
        var (address, wallet) = AddressOrWallet();
        var command = new Command("utxos", "Unspent outputs of an address or wallet.") { address, wallet };
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var who = await ResolveAddressAsync(parse, node, address, wallet).ConfigureAwait(false);
            var reply = await node.Api.ListUtxosAsync(new AddressRequest { Address = who }, deadline: NodeClient.Deadline());
            var rows = reply.Utxos.Select(u => new
            {
                out_point = $"{Hex(u.OutPoint.Txid)}:{u.OutPoint.Index}",
                amount = Show(u.Amount),
                height = u.Height,
                coinbase = u.Coinbase,
                mature = u.Mature,
                spent_in_mempool = u.SpentInMempool,
            }).ToList();
            return output.Success(new { address = who, utxos = rows }, c =>
            {
                var table = new Table().AddColumns("Output", "Amount", "Height", "Note");
                rows.ForEach(r => table.AddRow(r.out_point, r.amount, r.height == 0 ? "pending" : $"{r.height}",
                    r.spent_in_mempool ? "being spent" : r.coinbase && !r.mature ? "immature coinbase" : ""));
                c.Write(table);
            });
        }));
        return command;
    }

    private static Command Send(Option<bool> json)
    {
        var wallet = new Option<string>("--wallet") { Description = "Wallet to pay from.", Required = true };
        var to = new Option<string>("--to") { Description = "Address to pay, or the name of a wallet here (e.g. bob).", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount, e.g. 12.5.", Required = true };
        var fee = new Option<string?>("--fee") { Description = $"Fee (default {DefaultFee})." };
        var inputs = new Option<string[]>("--input") { Description = "Spend exactly this output, TXID:INDEX (repeatable; how a double spend is built on purpose)." };
        var count = new Option<int>("--outputs") { Description = "Pay --amount this many times in one transaction (a fan-out: coins for many independent payments, or a large transaction; at most 2,400).", DefaultValueFactory = _ => 1 };
        var command = new Command("send", "Pay from a wallet; change goes back to it. Prints the txid.") { wallet, to, amount, fee, inputs, count };
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var info = await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: NodeClient.Deadline());
            var prefix = ChainParameters.PrefixFor(info.Network);
            using var key = Store(parse).Load(parse.GetValue(wallet)!);
            var from = new Address(prefix, key.PublicKey);
            var payee = AddressOrWalletName(parse, parse.GetValue(to)!, prefix);
            var each = CliAmount.Parse(parse.GetValue(amount));
            var times = parse.GetValue(count);
            if (times is < 1 or > MaxSendOutputs)
            {
                throw new CliException("INVALID_ARGUMENT", $"--outputs takes a count from 1 to {MaxSendOutputs:N0} (a transaction holds at most 100,000 bytes).");
            }
            var value = Amount.FromMinorUnits(checked(each.MinorUnits * times));
            // The default fee is at least the minimum relay fee: one minor unit per byte (a fan-out is large).
            var fees = parse.GetValue(fee) is { } f ? CliAmount.Parse(f, "fee", allowZero: true)
                : Amount.FromMinorUnits(Math.Max(DefaultFee.MinorUnits, Transaction.SizeOf(4, times + 1)));
            var coins = (await node.Api.ListUtxosAsync(new AddressRequest { Address = from.ToString() }, deadline: NodeClient.Deadline())).Utxos;
            var chosen = ChooseCoins(coins, parse.GetValue(inputs) ?? [], value + fees, parse.GetValue(wallet)!);
            var total = chosen.Aggregate(Amount.Zero, (sum, c) => sum + Amount.FromMinorUnits(c.Amount));
            List<TxOutput> outputs = [.. Enumerable.Range(0, times).Select(_ => new TxOutput(each, payee.PublicKey.ToArray()))];
            var change = total - value - fees;
            if (change.IsPositive)
            {
                outputs.Add(new TxOutput(change, key.PublicKey.ToArray()));
            }
            var unsigned = new Transaction(Transaction.CurrentVersion, [.. chosen.Select(c => TxInput.WithoutSignature(ChainProto.OutPointFromProto(c.OutPoint)))], outputs);
            // The amounts come from the node; the signature commits to them, so a node that lies
            // about a coin gets a transaction no honest node accepts, not a bigger fee.
            var signed = TransactionSigner.Sign(unsigned, ChainProto.HashFromProto(info.NetworkId, "network id"), [.. chosen.Select(_ => key)],
                [.. chosen.Select(c => Amount.FromMinorUnits(c.Amount))]);
            await node.Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = signed.ToProto() }, deadline: NodeClient.Deadline());
            var model = new { txid = signed.Txid.ToString(), amount = value.ToString(), outputs = times, size = signed.Size, fee = fees.ToString(), change = change.ToString(), inputs = chosen.Select(c => $"{Hex(c.OutPoint.Txid)}:{c.OutPoint.Index}").ToList() };
            return output.Success(model, c => c.MarkupLineInterpolated($"Sent {value} to {payee} (fee {fees}): txid [bold]{signed.Txid}[/] — pending until mined."));
        }));
        return command;
    }

    private static Command Tx(Option<bool> json)
    {
        var txid = new Argument<string>("txid") { Description = "Transaction id, or its first 8 or more characters." };
        var command = new Command("tx", "A transaction: its status (pending, confirmed with confirmations, conflicted by which txid), and what it spends and pays, as addresses with amounts.") { txid };
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            // A whole txid, or the first 8+ characters of one, as the CLIs and the lab print it.
            var text = parse.GetValue(txid)!.Trim();
            var request = text.Length == 64 ? new GetTransactionRequest { Txid = Hash256.Parse(text).ToByteString() } : new GetTransactionRequest { TxidPrefix = text };
            var reply = await node.Api.GetTransactionAsync(request, deadline: NodeClient.Deadline());
            var s = reply.Status;
            if (s.State == Protos.Chain.V1.TransactionStatus.Types.State.Unknown)
            {
                return output.Fail(CliOutput.Refused, "TX_UNKNOWN", $"{text} is unknown to this node: it is neither in its mempool nor in its chain.");
            }
            var id = reply.Txid.Length == Hash256.Size ? ChainProto.HashFromProto(reply.Txid, "txid") : Hash256.Parse(text);
            var prefix = ChainParameters.PrefixFor((await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: NodeClient.Deadline())).Network);
            // What each input spends, from the transaction that made it (a coinbase spends nothing).
            var inputs = new List<(string OutPoint, string? Address, long? Amount)>();
            var coinbase = reply.Transaction is { } t0 && ChainProto.FromProto(t0).IsCoinbase;
            foreach (var input in coinbase ? [] : reply.Transaction?.Inputs ?? [])
            {
                var spent = await node.Api.GetTransactionAsync(new GetTransactionRequest { Txid = input.PreviousOutput.Txid }, deadline: NodeClient.Deadline());
                var output0 = spent.Transaction is { } previous && input.PreviousOutput.Index < previous.Outputs.Count ? previous.Outputs[(int)input.PreviousOutput.Index] : null;
                inputs.Add(($"{Hex(input.PreviousOutput.Txid)}:{input.PreviousOutput.Index}", output0 is null ? null : AddressOf(output0.PublicKey, prefix), output0?.Amount));
            }
            var outputs = reply.Transaction?.Outputs.Select(o => (Address: AddressOf(o.PublicKey, prefix), o.Amount)).ToList() ?? [];
            long? fee = inputs.Count > 0 && inputs.All(i => i.Amount is not null) ? inputs.Sum(i => i.Amount!.Value) - outputs.Sum(o => o.Amount) : null;
            var model = new
            {
                txid = id.ToString(),
                status = s.State.ToString().ToLowerInvariant(),
                block = s.BlockHash.IsEmpty ? null : Hex(s.BlockHash),
                height = s.BlockHeight,
                confirmations = s.Confirmations,
                conflicted_by = s.ConflictingTxid.IsEmpty ? null : Hex(s.ConflictingTxid),
                inputs = inputs.Select(i => new { out_point = i.OutPoint, address = i.Address, amount = i.Amount is { } a ? Show(a) : null }).ToList(),
                outputs = outputs.Select(o => new { address = o.Address, amount = Show(o.Amount) }).ToList(),
                fee = fee is { } f ? Show(f) : null,
            };
            return output.Success(model, c =>
            {
                c.MarkupLineInterpolated(s.State switch
                {
                    Protos.Chain.V1.TransactionStatus.Types.State.Confirmed => $"{id}: confirmed in block {model.block} at height {s.BlockHeight} ({s.Confirmations} confirmation{(s.Confirmations == 1 ? "" : "s")})",
                    Protos.Chain.V1.TransactionStatus.Types.State.Conflicted => $"{id}: conflicted — lost to {model.conflicted_by}",
                    _ => $"{id}: pending in the mempool",
                });
                var table = new Table().AddColumns("", "Address", "Amount", "Spends");
                foreach (var i in model.inputs)
                {
                    table.AddRow("in", i.address ?? "(unknown to this node)", i.amount ?? "?", i.out_point);
                }
                if (reply.Transaction is null)
                {
                    table.AddRow("", "(this node no longer holds what it spent and paid)", "", "");
                }
                else if (coinbase)
                {
                    table.AddRow("in", "(coinbase: new coins)", "", "");
                }
                foreach (var o in model.outputs)
                {
                    table.AddRow("out", o.address, o.amount, "");
                }
                c.Write(table);
                if (model.fee is not null)
                {
                    c.MarkupLineInterpolated($"fee {model.fee}");
                }
            });
        }));
        return command;
    }

    private static Command BlockVerb(Option<bool> json)
    {
        var which = new Argument<string>("block") { Description = "A block hash (or its first 8 or more characters), or a height on the node's active chain." };
        var command = new Command("block", "A block: hash, height, confirmations, time, who it pays, and its transactions.") { which };
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var text = parse.GetValue(which)!.Trim();
            var request = text.Length <= 7 && uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var height) ? new GetBlockRequest { Height = height }
                : text.Length == 64 ? new GetBlockRequest { Hash = Hash256.Parse(text).ToByteString() }
                : new GetBlockRequest { HashPrefix = text };
            var reply = await node.Api.GetBlockAsync(request, deadline: NodeClient.Deadline());
            var prefix = ChainParameters.PrefixFor((await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: NodeClient.Deadline())).Network);
            var transactions = reply.Block.Transactions.Select(t => ChainProto.FromProto(t)).ToList();
            var model = new
            {
                hash = Hex(reply.Hash),
                height = reply.Height,
                size = ChainProto.FromProto(reply.Block).Size,
                // When this node stored it (Unix ms, its own clock): nodes on one machine share one, so two nodes' differ by the time the block took between them.
                received_ms = reply.ReceivedMs,
                confirmations = reply.Confirmations,
                on_active_chain = reply.Confirmations > 0,
                previous = Hex(reply.Block.Header.PreviousHash),
                time = DateTimeOffset.FromUnixTimeMilliseconds((long)reply.Block.Header.TimeMs).ToString("u", CultureInfo.InvariantCulture),
                mined_to = transactions.Count > 0 && transactions[0].Outputs.Count > 0 ? AddressOf(Google.Protobuf.ByteString.CopyFrom(transactions[0].Outputs[0].PublicKey.Span), prefix) : null,
                transactions = transactions.Select(t => new { txid = t.Txid.ToString(), coinbase = t.IsCoinbase, inputs = t.IsCoinbase ? 0 : t.Inputs.Count, outputs = t.Outputs.Count, total_out = Show(t.Outputs.Sum(o => o.Amount.MinorUnits)) }).ToList(),
            };
            return output.Success(model, c =>
            {
                c.MarkupLineInterpolated($"block [bold]{model.hash}[/] at height {model.height}, {(model.on_active_chain ? $"{model.confirmations} confirmation{(model.confirmations == 1 ? "" : "s")}" : "not on this node's active chain")}");
                c.MarkupLineInterpolated($"mined {model.time} to {model.mined_to ?? "?"}; previous {model.previous}");
                // Everything its outputs carry, change included: which output is the payment, a block cannot tell.
                var table = new Table().AddColumns("Txid", "Inputs", "Outputs", "Total out");
                foreach (var t in model.transactions)
                {
                    table.AddRow(t.txid, t.coinbase ? "coinbase" : $"{t.inputs}", $"{t.outputs}", t.total_out);
                }
                c.Write(table);
            });
        }));
        return command;
    }

    private static string AddressOf(Google.Protobuf.ByteString publicKey, string prefix) =>
        PublicKey.TryFromBytes(publicKey.Span, out var key, out _) ? new Address(prefix, key).ToString() : Hex(publicKey);

    private static Command Info(Option<bool> json)
    {
        var command = new Command("info", "Height, tip, work, difficulty, hash rate, mempool and peers of a node.");
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var i = await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: NodeClient.Deadline());
            var model = new
            {
                network = i.Network,
                network_id = Hex(i.NetworkId),
                height = i.Height,
                tip = Hex(i.TipHash),
                cumulative_work = new System.Numerics.BigInteger(i.CumulativeWork.Span, isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture),
                difficulty = i.Difficulty,
                estimated_hash_rate = i.EstimatedHashRate,
                mempool = i.MempoolSize,
                peers = i.PeerCount,
                mining = i.Mining,
            };
            return output.Success(model, c =>
            {
                var table = new Table().AddColumns("Node", node.Url).HideHeaders();
                table.AddRow("network", $"{model.network} ({model.network_id[..16]}…)");
                table.AddRow("height", $"{model.height}");
                table.AddRow("tip", model.tip);
                table.AddRow("cumulative work", model.cumulative_work);
                table.AddRow("difficulty", model.difficulty.ToString("G4", CultureInfo.InvariantCulture));
                table.AddRow("network hash rate", $"{model.estimated_hash_rate:N0} hash/s");
                table.AddRow("mempool", $"{model.mempool} transactions");
                table.AddRow("peers", $"{model.peers}");
                table.AddRow("mining", model.mining ? "yes" : "no");
                c.Write(table);
            });
        }));
        return command;
    }

    private static Command Tips(Option<bool> json)
    {
        var command = new Command("tips", "Every chain tip: active, valid fork or invalid, with its branch length.");
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var reply = await node.Api.GetChainTipsAsync(new GetChainTipsRequest(), deadline: NodeClient.Deadline());
            var rows = reply.Tips.Select(t => new { hash = Hex(t.Hash), height = t.Height, branch_length = t.BranchLength, status = TipStatus(t.Status) }).ToList();
            return output.Success(new { tips = rows }, c =>
            {
                var table = new Table().AddColumns("Status", "Height", "Branch length", "Hash");
                rows.ForEach(r => table.AddRow(r.status, $"{r.height}", $"{r.branch_length}", r.hash));
                c.Write(table);
            });
        }));
        return command;
    }

    private static Command Peers(Option<bool> json)
    {
        var command = new Command("peers", "Connected peers.");
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var reply = await node.Api.ListPeersAsync(new ListPeersRequest(), deadline: NodeClient.Deadline());
            // Bytes: protobuf message bytes of the answered peer calls since the connection began (no HTTP/2 framing).
            var rows = reply.Peers.Select(p => new { address = p.Address, node_id = p.NodeId, direction = p.Outbound ? "outbound" : "inbound", best_height = p.BestHeight, bytes_sent = p.BytesSent, bytes_received = p.BytesReceived }).ToList();
            return output.Success(new { peers = rows }, c =>
            {
                var table = new Table().AddColumns("Address", "Direction", "Best height seen", "Bytes sent", "Bytes received", "Node id");
                rows.ForEach(r => table.AddRow(r.address, r.direction, $"{r.best_height}", $"{r.bytes_sent:N0}", $"{r.bytes_received:N0}", r.node_id));
                c.Write(table);
            });
        }));
        return command;
    }

    private static Command Mempool(Option<bool> json)
    {
        var command = new Command("mempool", "Pending transactions of a node.");
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var reply = await node.Api.GetMempoolAsync(new GetMempoolRequest(), deadline: NodeClient.Deadline());
            var rows = reply.Entries.Select(e => new { txid = Hex(e.Txid), fee = Show(e.Fee), size = e.Size, received_ms = e.ReceivedMs }).ToList();
            return output.Success(new { transactions = rows }, c =>
            {
                var table = new Table().AddColumns("Txid", "Fee", "Bytes");
                rows.ForEach(r => table.AddRow(r.txid, r.fee, $"{r.size}"));
                c.Write(table);
            });
        }));
        return command;
    }

    private static Command Mine(Option<bool> json)
    {
        var blocks = new Option<uint>("--blocks") { Description = "How many blocks to mine now.", Required = true };
        var to = new Option<string?>("--to") { Description = "Address paid the rewards." };
        var wallet = new Option<string?>("--wallet") { Description = "Wallet paid the rewards (instead of --to)." };
        var command = new Command("mine", "Mine N blocks now on the node (like regtest's generatetoaddress).") { blocks, to, wallet };
        command.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var who = await ResolveAddressAsync(parse, node, to, wallet).ConfigureAwait(false);
            var reply = await node.Api.GenerateBlocksAsync(new GenerateBlocksRequest { Count = parse.GetValue(blocks), Address = who }, deadline: NodeClient.Deadline(600));
            var hashes = reply.BlockHashes.Select(Hex).ToList();
            return output.Success(new { blocks = hashes }, c => c.MarkupLineInterpolated($"Mined {hashes.Count} block{(hashes.Count == 1 ? "" : "s")} to {who}; tip {hashes.LastOrDefault()}"));
        }));
        return command;
    }

    private static Command Mining(Option<bool> json)
    {
        var stop = new Command("stop", "Stop the node's miner (it still relays and validates; `mine` still mines on demand).");
        stop.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            await node.Api.SetMiningAsync(new SetMiningRequest { Enabled = false }, deadline: NodeClient.Deadline());
            return output.Success(new { mining = false }, c => c.WriteLine("Mining stopped."));
        }));
        var to = new Option<string?>("--to") { Description = "Address paid the rewards." };
        var wallet = new Option<string?>("--wallet") { Description = "Wallet paid the rewards (instead of --to)." };
        var threads = new Option<uint>("--threads") { Description = "Proof-of-work threads.", DefaultValueFactory = _ => 1 };
        var start = new Command("start", "Start (or restart) the node's miner, paying its blocks to an address.") { to, wallet, threads };
        start.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var who = await ResolveAddressAsync(parse, node, to, wallet).ConfigureAwait(false);
            await node.Api.SetMiningAsync(new SetMiningRequest { Enabled = true, MinerAddress = who, Threads = parse.GetValue(threads) }, deadline: NodeClient.Deadline());
            return output.Success(new { mining = true, miner_address = who, threads = parse.GetValue(threads) }, c => c.MarkupLineInterpolated($"Mining to {who} on {parse.GetValue(threads)} thread(s)."));
        }));
        return new Command("mining", "Stop or start a node's miner (admin).") { stop, start };
    }

    private static Command Peer(Option<bool> json)
    {
        var addAddress = new Argument<string>("address") { Description = "HOST:PORT of the peer." };
        var add = new Command("add", "Connect to a peer (and undo an earlier remove).") { addAddress };
        add.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            var reply = await node.Api.AddPeerAsync(new PeerRequest { Address = parse.GetValue(addAddress) }, deadline: NodeClient.Deadline());
            return output.Success(new { added = parse.GetValue(addAddress), connected = reply.Connected, detail = reply.Detail }, c => c.WriteLine(reply.Detail));
        }));
        var removeAddress = new Argument<string>("address") { Description = "HOST:PORT of the peer." };
        var remove = new Command("remove", "Disconnect a peer and refuse it until added again (to make a partition).") { removeAddress };
        remove.SetAction(parse => Online(parse, json, async (node, output) =>
        {
            await node.Api.RemovePeerAsync(new PeerRequest { Address = parse.GetValue(removeAddress) }, deadline: NodeClient.Deadline());
            return output.Success(new { removed = parse.GetValue(removeAddress) }, c => c.MarkupLineInterpolated($"Removed {parse.GetValue(removeAddress)}; it is refused until added again."));
        }));
        return new Command("peer", "Add or remove peers.") { add, remove };
    }

    // ---------------------------------------------------------------- helpers

    private static List<Utxo> ChooseCoins(IEnumerable<Utxo> coins, string[] forced, Amount needed, string walletName)
    {
        var all = coins.ToList();
        if (forced.Length > 0)
        {
            var chosen = new List<Utxo>();
            foreach (var text in forced)
            {
                var wanted = OutPoint.Parse(text);
                var coin = all.FirstOrDefault(c => ChainProto.OutPointFromProto(c.OutPoint) == wanted)
                    ?? throw new CliException("UNKNOWN_INPUT", $"{wanted} is not an unspent output of wallet '{walletName}'.");
                chosen.Add(coin);
            }
            var forcedTotal = chosen.Sum(c => c.Amount);
            if (forcedTotal < needed.MinorUnits)
            {
                throw new CliException("INSUFFICIENT_FUNDS", $"The chosen inputs hold {Show(forcedTotal)}, less than amount plus fee ({needed}).");
            }
            return chosen;
        }
        var spendable = all.Where(c => c.Mature && !c.SpentInMempool).OrderByDescending(c => c.Amount).ToList();
        var picked = new List<Utxo>();
        long sum = 0;
        foreach (var coin in spendable)
        {
            if (sum >= needed.MinorUnits)
            {
                break;
            }
            picked.Add(coin);
            sum += coin.Amount;
        }
        if (sum < needed.MinorUnits)
        {
            throw new CliException("INSUFFICIENT_FUNDS", $"Wallet '{walletName}' can spend {Show(spendable.Sum(c => c.Amount))}, less than amount plus fee ({needed}).");
        }
        return picked;
    }

    private static (Argument<string?> Address, Option<string?> Wallet) AddressOrWallet() =>
        (new Argument<string?>("address") { Description = "An address (or give --wallet).", Arity = ArgumentArity.ZeroOrOne },
         new Option<string?>("--wallet") { Description = "A wallet name instead of an address." });

    private static async Task<string> ResolveAddressAsync(ParseResult parse, NodeClient node, Symbol addressSymbol, Option<string?> wallet)
    {
        var info = await node.Api.GetInfoAsync(new GetInfoRequest(), deadline: NodeClient.Deadline());
        var prefix = ChainParameters.PrefixFor(info.Network);
        var given = addressSymbol switch
        {
            Argument<string?> argument => parse.GetValue(argument),
            Option<string?> option => parse.GetValue(option),
            _ => null,
        };
        var walletName = parse.GetValue(wallet);
        if (given is not null)
        {
            return AddressOrWalletName(parse, given, prefix).ToString();
        }
        if (walletName is not null)
        {
            using var key = Store(parse).Load(walletName);
            return new Address(prefix, key.PublicKey).ToString();
        }
        throw new CliException("NO_ADDRESS", "Give an address or --wallet NAME.");
    }

    /// <summary>An address, or the name of a wallet in this wallet directory (what `--to bob` means to a newcomer).</summary>
    private static Address AddressOrWalletName(ParseResult parse, string text, string prefix)
    {
        var store = Store(parse);
        if (store.Names().Contains(text.Trim()))
        {
            using var key = store.Load(text.Trim());
            return new Address(prefix, key.PublicKey);
        }
        if (Address.TryParse(text, prefix, out var address, out var error))
        {
            return address;
        }
        throw new CliException("INVALID_ADDRESS", $"{error.TrimEnd('.')}; nor is '{text}' a wallet in {store.Directory} (wallets: {string.Join(", ", store.Names())}).");
    }

    internal static WalletStore Store(ParseResult parse) => new(parse.GetValue(s_walletDir)
        ?? Environment.GetEnvironmentVariable(WalletStore.EnvironmentVariable)
        ?? NullIfEmpty(NetworkFile.TryFind()?.WalletDir)
        ?? WalletStore.DefaultDirectory);

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static Task<int> Offline(ParseResult parse, Option<bool> json, Func<CliOutput, int> verb)
    {
        var output = new CliOutput(parse.GetValue(json));
        return output.RunAsync("node", () => null, () => Task.FromResult(verb(output)));
    }

    private static Task<int> Online(ParseResult parse, Option<bool> json, Func<NodeClient, CliOutput, Task<int>> verb)
    {
        var output = new CliOutput(parse.GetValue(json));
        var network = NetworkFile.TryFind();
        var url = parse.GetValue(s_node) ?? network?.Nodes.FirstOrDefault()?.Url ?? NodeClient.DefaultNode;
        return output.RunAsync("node", () => url, async () =>
        {
            using var node = new NodeClient(url, AdminCookieFor(parse, network, url));
            return await verb(node, output).ConfigureAwait(false);
        });
    }

    /// <summary>--cookie-file, else $CHAIN_COOKIE_FILE, else the cookie in the data directory network.json gives for this URL.</summary>
    private static string? AdminCookieFor(ParseResult parse, NetworkFile? network, string url)
    {
        var explicitFile = parse.GetValue(s_cookieFile) ?? NullIfEmpty(Environment.GetEnvironmentVariable(NodeCookieFile.EnvironmentVariable));
        if (explicitFile is not null)
        {
            return NodeCookieFile.TryReadFile(explicitFile)
                ?? throw new CliException("NO_COOKIE", $"Cannot read the admin cookie {explicitFile}.");
        }
        var node = network?.Nodes.FirstOrDefault(n => string.Equals(n.Url.TrimEnd('/'), url.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
        return NodeCookieFile.TryRead(node?.DataDir);
    }

    private static string Show(long minorUnits) => Amount.FromMinorUnits(minorUnits).ToString();

    private static string Hex(Google.Protobuf.ByteString bytes) => Convert.ToHexStringLower(bytes.Span);

    private static string TipStatus(ChainTip.Types.Status status) => status switch
    {
        ChainTip.Types.Status.Active => "active",
        ChainTip.Types.Status.Invalid => "invalid",
        _ => "valid-fork",
    };
}
