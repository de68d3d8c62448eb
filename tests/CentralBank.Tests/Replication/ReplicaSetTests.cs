using LedgerContrast.CentralBank.Replication;

namespace LedgerContrast.CentralBank.Tests.Replication;

public sealed class ReplicaSetTests
{
    [Fact]
    public void Each_replica_gets_its_grpc_port_and_a_raft_port_1000_above_unless_one_is_given()
    {
        var set = ReplicaSet.Parse("127.0.0.1:7110, 127.0.0.1:7111/9000 ,localhost:7112");

        Assert.Equal([(7110, 8110), (7111, 9000), (7112, 8112)], set.Replicas.Select(r => (r.GrpcPort, r.RaftPort)));
        Assert.Equal("http://127.0.0.1:7110", set.Replicas[0].GrpcUrl);
        Assert.Same(set.Replicas[1], set.ByRaftEndPoint(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9000)));
    }

    [Theory]
    [InlineData("", "give 1 to 7")]
    [InlineData("127.0.0.1", "is not host:port")]
    [InlineData("127.0.0.1:0", "is not a port")]
    [InlineData("127.0.0.1:7110,127.0.0.1:7110", "one host:port twice")]
    [InlineData("127.0.0.1:7110,127.0.0.1:8110", "one host:port twice")]
    [InlineData("bank.example:7110", "is not an IP address")]
    [InlineData("127.0.0.1:65000", "give it as")]
    public void A_bad_list_is_refused_with_a_sentence_saying_what_is_wrong(string list, string says)
    {
        var refused = Assert.Throws<FormatException>(() => ReplicaSet.Parse(list));
        Assert.Contains(says, refused.Message, StringComparison.Ordinal);
    }
}
