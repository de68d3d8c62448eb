using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.ChainNode.Tests.Api;

/// <summary>GetMerkleProof (PROTOCOL.md §4): what a light client checks a confirmed payment against, knowing only headers.</summary>
public class MerkleProofApiTests
{
    [Fact]
    public async Task A_confirmed_payments_proof_recomputes_its_blocks_merkle_root_and_a_pending_one_has_none()
    {
        await using var network = await TestNetwork.LineAsync(1);
        var node = network[0];
        var funding = await NetworkBlocks.FundAsync(network, node, Keys.Alice);
        var payment = NetworkBlocks.Pay(node, funding, Keys.Alice, Keys.Bob);
        await node.Api.SubmitTransactionAsync(new SubmitTransactionRequest { Transaction = payment.ToProto() });
        var request = new GetMerkleProofRequest { Txid = payment.Txid.ToByteString() };

        var pending = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await node.Api.GetMerkleProofAsync(request));
        Assert.Equal((Grpc.Core.StatusCode.NotFound, "TX_NOT_CONFIRMED"), (pending.StatusCode, RpcErrors.Describe(pending).Reason));

        var mined = (await node.MineAsync(1, Keys.Miner))[0];
        var reply = await node.Api.GetMerkleProofAsync(request);

        var header = ChainProto.FromProto(reply.Header);
        var tx = ChainProto.FromProto(reply.Transaction);
        var proof = new MerkleProof(reply.Index, reply.LeafCount, [.. reply.Branch.Select(b => ChainProto.HashFromProto(b, "branch hash"))]);
        Assert.Equal((mined, mined), (header.Hash, new Hash256(reply.BlockHash.Span)));
        Assert.Equal(payment.Txid, tx.Txid);
        Assert.Equal((1u, 2u), (reply.Index, reply.LeafCount)); // after the coinbase
        Assert.Equal(header.MerkleRoot, proof.RootFor(tx.Wtxid));
        Assert.Equal(node.Tip.Height, reply.Height);
        // The coinbase has one too; a txid nobody knows has none.
        var coinbase = await node.Api.GetMerkleProofAsync(new GetMerkleProofRequest { Txid = node.Engine.FindBlock(mined)!.Transactions[0].Txid.ToByteString() });
        Assert.Equal(0u, coinbase.Index);
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await node.Api.GetMerkleProofAsync(new GetMerkleProofRequest { Txid = Hash256.Parse(new string('9', 64)).ToByteString() }));
    }
}
