using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace LedgerContrast.Shared.Cli;

/// <summary>Asks a server's standard gRPC health service (grpc.health.v1) whether it is serving.</summary>
public static class HealthProbe
{
    public static async Task<bool> IsServingAsync(string url, TimeSpan timeout)
    {
        using var channel = GrpcChannel.ForAddress(url);
        try
        {
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + timeout).ConfigureAwait(false);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException)
        {
            return false;
        }
    }
}
