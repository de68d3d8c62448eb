using System.Collections.Immutable;
using LedgerContrast.ChainNode.Consensus;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.ChainNode.Tests.Consensus;

/// <summary>
/// Property: whatever valid chains and reorganisations a node goes through, its UTXO set equals a
/// rebuild from its stored blocks, and equals an independent model of the active chain.
/// </summary>
public class RandomReorgPropertyTests
{
    private static readonly PrivateKey[] s_keys = [Keys.Alice, Keys.Bob, Keys.Carol, Keys.Miner];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_chains_and_reorgs_keep_the_utxo_set_equal_to_a_rebuild(int seed)
    {
        var random = new Random(seed);
        using var node = new TestNode(ChainParameters.ForRegtest(coinbaseMaturity: 1));
        // Model: the UTXO set after each block, computed by the test itself.
        var model = new Dictionary<Hash256, ImmutableDictionary<OutPoint, (long Amount, PrivateKey Owner, uint Height, bool Coinbase)>>
        {
            [node.Tip.Hash] = ImmutableDictionary<OutPoint, (long, PrivateKey, uint, bool)>.Empty,
        };
        var reorgs = 0;

        for (var step = 0; step < 60; step++)
        {
            // Mostly extend the tip; sometimes start a branch a few blocks back and make it win.
            var parent = node.Tip;
            var length = 1;
            if (step > 5 && random.Next(4) == 0)
            {
                parent = parent.Ancestor(parent.Height - (uint)random.Next(1, 4))!;
                length = (int)(node.Tip.Height - parent.Height) + 1;
                reorgs++;
            }
            for (var i = 0; i < length; i++)
            {
                var utxos = model[parent.Hash];
                var spends = new List<Transaction>();
                var used = new HashSet<OutPoint>();
                foreach (var (outPoint, coin) in utxos.OrderBy(_ => random.Next()).Take(random.Next(0, 4)))
                {
                    if (coin.Coinbase && parent.Height + 1 - coin.Height < node.Parameters.CoinbaseMaturity || !used.Add(outPoint))
                    {
                        continue;
                    }
                    var to = s_keys[random.Next(s_keys.Length)];
                    var half = coin.Amount / 2;
                    spends.Add(node.Spend([(outPoint, coin.Owner, coin.Amount)], (to, half), (coin.Owner, coin.Amount - half - 10)));
                }
                var miner = s_keys[random.Next(s_keys.Length)];
                var block = node.NewBlock(parent).PayingTo(miner).With([.. spends]).Build();
                await node.Engine.SubmitBlockAsync(block);
                var after = utxos.ToBuilder();
                var height = parent.Height + 1;
                foreach (var tx in block.Transactions)
                {
                    foreach (var input in tx.IsCoinbase ? [] : tx.Inputs)
                    {
                        after.Remove(input.PreviousOutput);
                    }
                    for (var o = 0; o < tx.Outputs.Count; o++)
                    {
                        var owner = s_keys.First(k => k.PublicKey.Bytes.SequenceEqual(tx.Outputs[o].PublicKey.Span));
                        after[new OutPoint(tx.Txid, (uint)o)] = (tx.Outputs[o].Amount.MinorUnits, owner, height, tx.IsCoinbase);
                    }
                }
                model[block.Hash] = after.ToImmutable();
                parent = node.Engine.Read(n => n.Chain.Find(block.Hash))!;
            }

            Assert.Equal(parent.Hash, node.Tip.Hash);
            Assert.Empty(node.Engine.Verify());
            var expected = model[node.Tip.Hash];
            var actual = node.Engine.Read(n => n.Chain.Utxos.All.ToDictionary(p => p.Key, p => p.Value.Amount.MinorUnits));
            Assert.Equal(expected.ToDictionary(p => p.Key, p => p.Value.Amount).OrderBy(p => p.Key.ToString()), actual.OrderBy(p => p.Key.ToString()));
        }
        Assert.True(reorgs >= 5, $"only {reorgs} reorganisations happened");
    }
}
