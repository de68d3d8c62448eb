using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Money;

namespace LedgerContrast.Shared.Tests.Chain;

/// <summary>
/// The worked vectors of docs/PROTOCOL.md §7. They were cross-checked against an independent
/// implementation of the documented layout (Python hashlib); if one of these changes, the
/// document and every other implementation are wrong.
/// </summary>
public class ProtocolVectorTests
{
    private static readonly Hash256 s_networkId = Hash256.Parse("4c43000000000000000000000000000000000000000000000000000000000001");
    private static readonly byte[] s_pubKey1 = Convert.FromHexString("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    private static readonly byte[] s_pubKey3 = Convert.FromHexString("f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9");

    private const string UnsignedA = "020000000100000011111111111111111111111111111111111111111111111111111111111111110100000002000000807c814a0000000079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798704e84df00000000f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
    private const string SignatureA = "513f18763961564616b864c0f09e6dc2834d26be014af68eddd032a591e1b73089c7d5dfbf68cfc75ad7a3647f5a9afe425346aa688b1d8f2beb039606e6b7c8";
    private const string FullA = "0200000001000000111111111111111111111111111111111111111111111111111111111111111101000000513f18763961564616b864c0f09e6dc2834d26be014af68eddd032a591e1b73089c7d5dfbf68cfc75ad7a3647f5a9afe425346aa688b1d8f2beb039606e6b7c802000000807c814a0000000079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798704e84df00000000f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
    private const string CoinbaseFull = "0200000001000000000000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000100000000f2052a01000000f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
    private const string HeaderB = "01000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa4df25634d98db32f9580b02a5baedef86e04cfa2832fdae0af79b2776f5c795a00a8da769b010000ffff7f200000000000000000";

    /// <summary>What vector A's input spends: 50 units owned by key 3 (so the fee is 0.0001).</summary>
    private static readonly TxOutput s_spentByA = new(Amount.FromUnits(50), s_pubKey3);

    private static Transaction UnsignedTransactionA() => new(
        2,
        [TxInput.WithoutSignature(new OutPoint(Hash256.Parse(new string('1', 64)), 1))],
        [new TxOutput(Amount.Parse("12.5"), s_pubKey1), new TxOutput(Amount.Parse("37.4999"), s_pubKey3)]);

    [Fact]
    public void Vector_A_unsigned_bytes_txid_and_signature_message()
    {
        var tx = UnsignedTransactionA();
        Assert.Equal(UnsignedA, Convert.ToHexStringLower(tx.EncodeUnsigned()));
        Assert.Equal("905305005fd432804a06d7d5df10c9bea136b01e87488525f42af6bd974c8230", tx.Txid.ToString());
        Assert.Equal("b6623bd68b0f11a18bdc22d0eedd1f956e0373229a9e42cd92ddb467f0d1dbd3", TransactionSigner.SignatureMessage(tx, s_networkId, [s_spentByA]).ToString());
    }

    [Fact]
    public void The_signature_message_commits_to_the_amount_spent_so_a_lie_about_it_gives_another_message()
    {
        var lie = TransactionSigner.SignatureMessage(UnsignedTransactionA(), s_networkId, [s_spentByA with { Amount = Amount.FromUnits(1) }]);
        Assert.Equal("611b68e2ba625c84411e25434d24dcd4e2d609d4b5422910b6e029fd97132445", lie.ToString());
        Assert.NotEqual(TransactionSigner.SignatureMessage(UnsignedTransactionA(), s_networkId, [s_spentByA]), lie);
        Assert.NotEqual(TransactionSigner.SignatureMessage(UnsignedTransactionA(), s_networkId, [s_spentByA with { PublicKey = s_pubKey1 }]), lie);
    }

    [Fact]
    public void Vector_A_signed_by_key_3_with_zero_aux_gives_the_documented_bytes_and_wtxid()
    {
        using var key3 = PrivateKey.FromBytes(Convert.FromHexString("0000000000000000000000000000000000000000000000000000000000000003"));
        var unsigned = UnsignedTransactionA();
        var message = TransactionSigner.SignatureMessage(unsigned, s_networkId, [s_spentByA]).ToArray();
        var signature = key3.Sign(message, new byte[32]);
        Assert.Equal(SignatureA, signature.ToString());

        var signed = new Transaction(2, [unsigned.Inputs[0] with { Signature = signature.ToArray() }], unsigned.Outputs);
        Assert.Equal(FullA, Convert.ToHexStringLower(signed.Encode()));
        Assert.Equal(unsigned.Txid, signed.Txid); // signatures never change the txid
        Assert.Equal("af0d1eabd8b91779621f3a07628b4934e1d266ce9c8f96342a4a35efb2b68330", signed.Wtxid.ToString());
        Assert.True(key3.PublicKey.Verify(message, signature));
    }

    [Fact]
    public void Signing_through_TransactionSigner_verifies_against_the_spent_key()
    {
        using var key3 = PrivateKey.FromBytes(Convert.FromHexString("0000000000000000000000000000000000000000000000000000000000000003"));
        var signed = TransactionSigner.Sign(UnsignedTransactionA(), s_networkId, [key3], [s_spentByA.Amount]);
        var message = TransactionSigner.SignatureMessage(signed, s_networkId, [s_spentByA]).ToArray();
        Assert.True(PublicKey.FromBytes(s_pubKey3).Verify(message, SchnorrSignature.FromBytes(signed.Inputs[0].Signature.Span)));
        var otherNetwork = TransactionSigner.SignatureMessage(signed, Hash256.Parse(new string('0', 63) + "2"), [s_spentByA]).ToArray();
        Assert.False(key3.PublicKey.Verify(otherNetwork, SchnorrSignature.FromBytes(signed.Inputs[0].Signature.Span)));
    }

    [Fact]
    public void Coinbase_vector_commits_to_its_height()
    {
        var coinbase = Transaction.CreateCoinbase(1, [new TxOutput(Amount.FromUnits(50), s_pubKey3)]);
        Assert.True(coinbase.IsCoinbase);
        Assert.Equal(CoinbaseFull, Convert.ToHexStringLower(coinbase.Encode()));
        Assert.Equal("5b94d2b9a77ebb129012b439e650087475c5de6c905c216a137d3320d9437828", coinbase.Txid.ToString());
        Assert.Equal("c54f92f36ae90765f0ed94e361a9c135b0550bbd3fa928a43418f0c48b7e901d", coinbase.Wtxid.ToString());
        Assert.NotEqual(coinbase.Txid, Transaction.CreateCoinbase(2, coinbase.Outputs).Txid);
    }

    [Fact]
    public void Vector_B_merkle_root_header_bytes_and_block_hash()
    {
        var coinbase = Transaction.Decode(Convert.FromHexString(CoinbaseFull));
        var a = Transaction.Decode(Convert.FromHexString(FullA));
        var block = new Block(
            new BlockHeader(1, Hash256.Parse(new string('a', 64)), Hash256.Zero, 1767225600000, 0x207fffff, 0),
            [coinbase, a]);
        var root = block.ComputeMerkleRoot();
        Assert.Equal("4df25634d98db32f9580b02a5baedef86e04cfa2832fdae0af79b2776f5c795a", root.ToString());

        var header = block.Header with { MerkleRoot = root };
        Assert.Equal(HeaderB, Convert.ToHexStringLower(header.Encode()));
        Assert.Equal(88, header.Encode().Length);
        Assert.Equal("2122ef7bb32602b9aaf2c3b82d774ddf7e67ee276902bf80f3ec053c83cb2cad", header.Hash.ToString());
        Assert.Equal(header, BlockHeader.Decode(Convert.FromHexString(HeaderB)));
    }

    [Fact]
    public void Odd_merkle_levels_carry_the_last_node_up_unchanged()
    {
        var cb = Transaction.Decode(Convert.FromHexString(CoinbaseFull)).Wtxid;
        var a = Transaction.Decode(Convert.FromHexString(FullA)).Wtxid;
        var empty = Sha256Hasher.DoubleHash([]);
        Assert.Equal("dd43c89489e1921f453672500f6b9dc59e7d04ea49b6007f78bf5f76bb77fcfa", MerkleTree.ComputeRoot([cb, a, empty]).ToString());
        Assert.NotEqual(MerkleTree.ComputeRoot([cb, a, empty]), MerkleTree.ComputeRoot([cb, a, empty, empty]));
        Assert.Equal(cb, MerkleTree.ComputeRoot([cb]));
    }

    [Fact]
    public void Decoding_round_trips_and_refuses_truncated_or_trailing_bytes()
    {
        var full = Convert.FromHexString(FullA);
        Assert.Equal(FullA, Convert.ToHexStringLower(Transaction.Decode(full).Encode()));
        var truncated = Assert.Throws<FormatException>(() => Transaction.Decode(full.AsSpan(0, full.Length - 1)));
        Assert.Equal("A list claims 2 items but only 79 bytes remain.", truncated.Message);
        var cut = Assert.Throws<FormatException>(() => Transaction.Decode(full.AsSpan(0, 6)));
        Assert.Contains("Unexpected end of data", cut.Message);
        var trailing = Assert.Throws<FormatException>(() => Transaction.Decode([.. full, 0]));
        Assert.Contains("1 unexpected bytes", trailing.Message);
        var hugeCount = Assert.Throws<FormatException>(() => Transaction.Decode(Convert.FromHexString("01000000ffffffff")));
        Assert.Contains("claims 4294967295 items", hugeCount.Message);
    }

    [Fact]
    public void Inclusion_proofs_of_a_leaf_beside_a_carried_one_and_of_the_carried_one_match_the_document()
    {
        Hash256[] leaves = [.. new[]
        {
            "c54f92f36ae90765f0ed94e361a9c135b0550bbd3fa928a43418f0c48b7e901d", "af0d1eabd8b91779621f3a07628b4934e1d266ce9c8f96342a4a35efb2b68330",
            "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456", "9c12cfdc04c74584d787ac3d23772132c18524bc7ab28dec4219b8fc5b425f70",
            "1cc3adea40ebfd94433ac004777d68150cce9db4c771bc7de1b297a7b795bbba",
        }.Select(Hash256.Parse)];
        var root = Hash256.Parse("c828f27bff5c02c70c6b4ecd65437a77e782dbe04c7a243e3bfca5b013fb4435");
        Assert.Equal(root, MerkleTree.ComputeRoot(leaves));

        var second = MerkleProof.Build(leaves, 2);
        Assert.Equal(["9c12cfdc04c74584d787ac3d23772132c18524bc7ab28dec4219b8fc5b425f70", "4df25634d98db32f9580b02a5baedef86e04cfa2832fdae0af79b2776f5c795a", "1cc3adea40ebfd94433ac004777d68150cce9db4c771bc7de1b297a7b795bbba"],
            second.Branch.Select(h => h.ToString()));
        Assert.Equal(root, second.RootFor(leaves[2]));
        var carried = MerkleProof.Build(leaves, 4);
        Assert.Equal(["f6ffb7bc539fd97bac6242752be95f48ffc8e0f98ce3edc221011a8f92e8ecb8"], carried.Branch.Select(h => h.ToString()));
        Assert.Equal(root, carried.RootFor(leaves[4]));
    }

    [Fact]
    public void The_filter_of_block_B_its_hash_and_its_filter_header_match_the_document()
    {
        var blockB = Hash256.Parse("2122ef7bb32602b9aaf2c3b82d774ddf7e67ee276902bf80f3ec053c83cb2cad");
        // Outputs: the coinbase's key 3; A's key 1 and key 3. Spent by A: 50 units of key 3.
        var filter = Shared.Filters.BlockFilter.Build(blockB, [s_pubKey3, s_pubKey1, s_pubKey3, s_pubKey3]);
        Assert.Equal("020657ecaacc00", Convert.ToHexStringLower(filter.Encoded));
        Assert.Equal("72074abe2c4733798cce5049be05954b4f938da55ab8aca5c9a26fefa228dfae", filter.Hash.ToString());
        Assert.Equal("69fc971cf3504bf0cf84398e455e27049b6f2c3d3890e61467db4151b3b9f75a", Shared.Filters.BlockFilter.NextHeader(filter.Hash, Hash256.Zero).ToString());
    }
}
