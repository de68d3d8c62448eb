using Grpc.Core;
using LedgerContrast.Shared.Rpc;

namespace LedgerContrast.Shared.Tests.Rpc;

public class RpcErrorsTests
{
    [Fact]
    public void A_refusal_carries_its_stable_reason_and_metadata_in_the_trailer()
    {
        var error = RpcErrors.Create(StatusCode.FailedPrecondition, "MEMPOOL_CONFLICT", "Spends an output already spent.",
            new Dictionary<string, string> { ["conflicting_txid"] = "ab" });
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        var detail = RpcErrors.Describe(error);
        Assert.Equal("MEMPOOL_CONFLICT", detail.Reason);
        Assert.Equal("Spends an output already spent.", detail.Message);
        Assert.Equal("ab", detail.Metadata["conflicting_txid"]);
    }

    [Fact]
    public void A_bare_status_is_described_by_its_code()
    {
        var detail = RpcErrors.Describe(new RpcException(new Status(StatusCode.Unavailable, "connection refused")));
        Assert.Equal("UNAVAILABLE", detail.Reason);
    }
}
