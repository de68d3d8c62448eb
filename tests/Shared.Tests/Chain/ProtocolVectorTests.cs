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

    private const string UnsignedA = "010000000100000011111111111111111111111111111111111111111111111111111111111111110100000002000000807c814a0000000079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798704e84df00000000f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
    private const string SignatureA = "5ac2c6ed71053bd5e78cd551af0a154baaf3d0c0c82eeef98b091e71e28168369df66f38e2d9a7b1da05764dfa5cffa354db4004e6ff98ed8c62a37a7f6881d6";
    private const string FullA = "01000000010000001111111111111111111111111111111111111111111111111111111111111111010000005ac2c6ed71053bd5e78cd551af0a154baaf3d0c0c82eeef98b091e71e28168369df66f38e2d9a7b1da05764dfa5cffa354db4004e6ff98ed8c62a37a7f6881d602000000807c814a0000000079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798704e84df00000000f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
    private const string CoinbaseFull = "0100000001000000000000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000100000000f2052a01000000f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
    private const string HeaderB = "01000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2441ff273a4cd74238481b3eda9386d95dcc6857fb1e9e2ab2a3d8fdc2eff5c800a8da769b010000ffff7f200000000000000000";

    private static Transaction UnsignedTransactionA() => new(
        1,
        [TxInput.WithoutSignature(new OutPoint(Hash256.Parse(new string('1', 64)), 1))],
        [new TxOutput(Amount.Parse("12.5"), s_pubKey1), new TxOutput(Amount.Parse("37.4999"), s_pubKey3)]);

    [Fact]
    public void Vector_A_unsigned_bytes_txid_and_signature_message()
    {
        var tx = UnsignedTransactionA();
        Assert.Equal(UnsignedA, Convert.ToHexStringLower(tx.EncodeUnsigned()));
        Assert.Equal("1138bf537a641209be33c2ee9edc8c0bb0cb245fecb99443a567811016dd0d27", tx.Txid.ToString());
        Assert.Equal("878af23ac29be4c102bde53e50c01107e87225593347094198c89f84b0224560", TransactionSigner.SignatureMessage(tx, s_networkId).ToString());
    }

    [Fact]
    public void Vector_A_signed_by_key_3_with_zero_aux_gives_the_documented_bytes_and_wtxid()
    {
        using var key3 = PrivateKey.FromBytes(Convert.FromHexString("0000000000000000000000000000000000000000000000000000000000000003"));
        var unsigned = UnsignedTransactionA();
        var message = TransactionSigner.SignatureMessage(unsigned, s_networkId).ToArray();
        var signature = key3.Sign(message, new byte[32]);
        Assert.Equal(SignatureA, signature.ToString());

        var signed = new Transaction(1, [unsigned.Inputs[0] with { Signature = signature.ToArray() }], unsigned.Outputs);
        Assert.Equal(FullA, Convert.ToHexStringLower(signed.Encode()));
        Assert.Equal(unsigned.Txid, signed.Txid); // signatures never change the txid
        Assert.Equal("232da0289732d99d9dfa93ffd09a9adf5ba0ea2ecff94cdeb1f2ec02c42ceb78", signed.Wtxid.ToString());
        Assert.True(key3.PublicKey.Verify(message, signature));
    }

    [Fact]
    public void Signing_through_TransactionSigner_verifies_against_the_spent_key()
    {
        using var key3 = PrivateKey.FromBytes(Convert.FromHexString("0000000000000000000000000000000000000000000000000000000000000003"));
        var signed = TransactionSigner.Sign(UnsignedTransactionA(), s_networkId, [key3]);
        var message = TransactionSigner.SignatureMessage(signed, s_networkId).ToArray();
        Assert.True(PublicKey.FromBytes(s_pubKey3).Verify(message, SchnorrSignature.FromBytes(signed.Inputs[0].Signature.Span)));
        var otherNetwork = TransactionSigner.SignatureMessage(signed, Hash256.Parse(new string('0', 63) + "2")).ToArray();
        Assert.False(key3.PublicKey.Verify(otherNetwork, SchnorrSignature.FromBytes(signed.Inputs[0].Signature.Span)));
    }

    [Fact]
    public void Coinbase_vector_commits_to_its_height()
    {
        var coinbase = Transaction.CreateCoinbase(1, [new TxOutput(Amount.FromUnits(50), s_pubKey3)]);
        Assert.True(coinbase.IsCoinbase);
        Assert.Equal(CoinbaseFull, Convert.ToHexStringLower(coinbase.Encode()));
        Assert.Equal("9691651d49c3e709a3649a134345bf4f881cffe89fdd156221506a18a5167b00", coinbase.Txid.ToString());
        Assert.Equal("19d94bcca8092e4c457dbf698dbcd40c092855ebb946ff53006b8bd03651616d", coinbase.Wtxid.ToString());
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
        Assert.Equal("2441ff273a4cd74238481b3eda9386d95dcc6857fb1e9e2ab2a3d8fdc2eff5c8", root.ToString());

        var header = block.Header with { MerkleRoot = root };
        Assert.Equal(HeaderB, Convert.ToHexStringLower(header.Encode()));
        Assert.Equal(88, header.Encode().Length);
        Assert.Equal("6b57066a5b634dc5e965680fdd32a902e1f14925e1b44365353ab1daeae7a862", header.Hash.ToString());
        Assert.Equal(header, BlockHeader.Decode(Convert.FromHexString(HeaderB)));
    }

    [Fact]
    public void Odd_merkle_levels_carry_the_last_node_up_unchanged()
    {
        var cb = Transaction.Decode(Convert.FromHexString(CoinbaseFull)).Wtxid;
        var a = Transaction.Decode(Convert.FromHexString(FullA)).Wtxid;
        var empty = Sha256Hasher.DoubleHash([]);
        Assert.Equal("7d773ea428fb5d5d5249ce3d934ea2cde0f3b347fc993b0f9889bf2e84ec8da2", MerkleTree.ComputeRoot([cb, a, empty]).ToString());
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
}
