using Grpc.Core;
using LedgerContrast.Contrast.Lab;
using LedgerContrast.Protos.Bank.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.Contrast.Scenarios;

/// <summary>
/// Security, tried during the run rather than stated: at the bank, requests without a valid
/// credential and a customer's token on another's account; on the chain, payments whose
/// signature does not prove the coin's key. Each must be refused with its reason. Then the
/// credential itself stolen — a token, a private key — which both systems accept: each trusts
/// whoever holds it, the bank its bearer and the chain its key.
/// </summary>
public static class SecurityScenario
{
    public const string Dimension = "Security";

    /// <summary>What the test suite proves beyond this run, named so a reader can look them up.</summary>
    private const string BankTests = "HostileClientTests and AuthorizationTests";
    private const string ChainTests = "TransactionRuleTests, BlockRuleTests and HostilePeerTests";

    public static Task<ScenarioResult> RunAsync(LabNetwork lab) =>
        ScenarioResult.RunBothAsync(lab, "security", Dimension, RunBankAsync, RunChainAsync);

    private static async Task<string> RunBankAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        var alice = await BankLab.NewCustomerAsync(lab, "sec-alice", 100_00000000).ConfigureAwait(false);
        var mallory = await BankLab.NewCustomerAsync(lab, "sec-mallory", 0).ConfigureAwait(false);
        progress.Step($"bank: mallory tries to take alice's money: with no token, a made-up token, her own token on alice's account; then with alice's token, stolen");
        TransferRequest Theft() => new() { FromAccountId = alice.AccountId, ToAccountId = mallory.AccountId, Amount = 10_00000000, IdempotencyKey = Guid.NewGuid().ToString("N") };
        var attempts = new (string What, BankService.BankServiceClient Client, string Expected)[]
        {
            ("no token", lab.AnonymousBank(), "UNAUTHENTICATED"),
            ("a made-up token", lab.Bank("cust-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))), "UNAUTHENTICATED"),
            // Answered exactly like a missing account, so a token cannot probe which accounts exist (BANK.md).
            ("her own token on alice's account", lab.Bank(mallory.Token), "ACCOUNT_NOT_FOUND"),
        };
        var outcomes = new List<Dictionary<string, object?>>();
        foreach (var (what, client, expected) in attempts)
        {
            var reason = await OutcomeAsync(() => client.TransferAsync(Theft(), deadline: DateTime.UtcNow.AddSeconds(5)).ResponseAsync).ConfigureAwait(false);
            outcomes.Add(new() { ["attempt"] = what, ["answer"] = reason, ["expected"] = expected });
            progress.Refused("bank", reason, $"mallory's transfer from alice's account with {what}");
            result.Expect(reason == expected, $"bank: a transfer from alice's account with {what} was answered {reason}, not {expected}");
        }
        var stolen = await OutcomeAsync(() => lab.Bank(alice.Token).TransferAsync(Theft(), deadline: DateTime.UtcNow.AddSeconds(5)).ResponseAsync).ConfigureAwait(false);
        var malloryHolds = (await lab.RequireAdmin().GetBalanceAsync(new GetBalanceRequest { AccountId = mallory.AccountId })).Balance;
        result.Bank["attempts"] = outcomes;
        result.Bank["stolen_token_transfer"] = stolen;
        result.Bank["mallory_balance_after"] = malloryHolds;
        result.Bank["proven_by_tests"] = BankTests;
        result.Expect(stolen == "OK" && malloryHolds == 10_00000000, "bank: alice's own token did not move her money");
        var refused = outcomes.Count(o => (string?)o["answer"] == (string?)o["expected"]);
        progress.Step($"bank: {refused} of {outcomes.Count} refused ({string.Join(", ", outcomes.Select(o => $"{o["attempt"]}: {o["answer"]}"))}); alice's stolen token: {stolen}");
        return $"measured: {refused} of {outcomes.Count} attempts on alice's account refused ({string.Join("; ", outcomes.Select(o => $"{o["attempt"]}: {o["answer"]}"))}); with alice's token, stolen, mallory took 10 — the server trusts whoever bears the token (more refusals proven by {BankTests})";
    }

    private static async Task<string> RunChainAsync(LabNetwork lab, ScenarioResult result, Progress progress)
    {
        var node = lab.Nodes[0];
        using var alice = lab.Wallets.Load("alice");
        using var mallory = lab.Wallets.Load("carol");
        using var stranger = PrivateKey.Generate();
        var info = await ChainLab.InfoAsync(node).ConfigureAwait(false);
        var networkId = ChainLab.NetworkId(info);
        var coin = await ChainLab.WaitForCoinAsync(progress, node, alice).ConfigureAwait(false);
        progress.Step("chain: mallory tries to spend alice's coin: signed with her own key, alice's payment altered to pay her, alice's signature made for another network; then with alice's key, stolen");
        var honest = ChainLab.Pay(coin, alice, alice, networkId);
        var altered = new Transaction(honest.Version, honest.Inputs, [new TxOutput(honest.Outputs[0].Amount, mallory.PublicKey.ToArray())]);
        var otherNetwork = ChainLab.Pay(coin, alice, mallory, Shared.Hashing.Hash256.Parse(new string('7', 64)));
        var attempts = new (string What, Transaction Tx)[]
        {
            ("signed with her own key", ChainLab.Pay(coin, mallory, mallory, networkId)),
            ("alice's payment altered after signing", altered),
            ("alice's signature for another network", otherNetwork),
            ("signed with a stranger's key", ChainLab.Pay(coin, stranger, mallory, networkId)),
        };
        var outcomes = new List<Dictionary<string, object?>>();
        foreach (var (what, tx) in attempts)
        {
            var reason = await OutcomeAsync(() => ChainLab.SubmitAsync(node, tx)).ConfigureAwait(false);
            outcomes.Add(new() { ["attempt"] = what, ["answer"] = reason, ["expected"] = "TX_BAD_SIGNATURE" });
            progress.Refused("chain", reason, $"{node.Name}: mallory's spend of alice's coin {what}");
            result.Expect(reason == "TX_BAD_SIGNATURE", $"chain: a payment of alice's coin {what} was answered {reason}, not TX_BAD_SIGNATURE");
        }
        var stolen = ChainLab.Pay(coin, alice, mallory, networkId);
        var stolenOutcome = await OutcomeAsync(() => ChainLab.SubmitAsync(node, stolen)).ConfigureAwait(false);
        result.Chain["attempts"] = outcomes;
        result.Chain["stolen_key_payment"] = stolenOutcome;
        result.Chain["stolen_key_txid"] = stolen.Txid.ToString();
        result.Chain["proven_by_tests"] = ChainTests;
        result.Expect(stolenOutcome == "OK", "chain: alice's own key could not spend her coin");
        var refused = outcomes.Count(o => (string?)o["answer"] == (string?)o["expected"]);
        progress.Step($"chain: {refused} of {outcomes.Count} refused ({string.Join(", ", outcomes.Select(o => $"{o["attempt"]}: {o["answer"]}"))}); alice's stolen key: {stolenOutcome} ({ChainLab.Abbreviate(stolen.Txid)})");
        return $"measured: {refused} of {outcomes.Count} forged spends of alice's coin refused by {node.Name} ({string.Join("; ", outcomes.Select(o => $"{o["attempt"]}: {o["answer"]}"))}); with alice's key, stolen, mallory's payment was accepted — whoever holds the key owns the coins, and nobody can take them back (a peer relaying invalid data is banned: {ChainTests})";
    }

    /// <summary>"OK", or the reason the server refused the call with.</summary>
    private static async Task<string> OutcomeAsync(Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
            return "OK";
        }
        catch (RpcException ex)
        {
            return RpcErrors.Describe(ex).Reason;
        }
    }
}
