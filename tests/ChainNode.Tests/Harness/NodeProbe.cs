using Grpc.Core;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.TestSupport;

namespace LedgerContrast.ChainNode.Tests.Harness;

/// <summary>Questions a test asks a node (in this process or another) that may not be serving yet: null while it cannot answer.</summary>
public static class NodeProbe
{
    public static uint? Height(NodeService.NodeServiceClient api)
    {
        ArgumentNullException.ThrowIfNull(api);
        try
        {
            return api.GetInfo(new GetInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5)).Height;
        }
        catch (RpcException)
        {
            return null;
        }
    }

    /// <summary>Polls until the node is at <paramref name="height"/> or above, or fails at the deadline naming the height it reached.</summary>
    public static Task WaitForHeightAsync(NodeService.NodeServiceClient api, uint height) =>
        Poll.UntilAsync(() => Height(api) >= height, TestNetwork.DefaultTimeout, () => $"height {Height(api)}");
}
