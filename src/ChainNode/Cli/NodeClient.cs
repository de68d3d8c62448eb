using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Shared.Cli;

namespace LedgerContrast.ChainNode.Cli;

/// <summary>A channel to one node's API; every call gets its own deadline.</summary>
internal sealed class NodeClient : IDisposable
{
    public const string DefaultNode = "http://127.0.0.1:7200";
    private readonly GrpcChannel _channel;

    /// <param name="adminCookie">The node's cookie secret, sent on every call (only admin calls need it).</param>
    public NodeClient(string url, string? adminCookie = null)
    {
        if (!Uri.TryCreate(url.Contains("://", StringComparison.Ordinal) ? url : "http://" + url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException("INVALID_NODE", $"'{url}' is not a node URL; use e.g. {DefaultNode}.");
        }
        Url = uri.ToString().TrimEnd('/');
        _channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
        Api = new NodeService.NodeServiceClient(adminCookie is null
            ? _channel.CreateCallInvoker()
            : _channel.CreateCallInvoker().Intercept(metadata =>
            {
                metadata.Add("authorization", "Bearer " + adminCookie);
                return metadata;
            }));
    }

    public string Url { get; }
    public NodeService.NodeServiceClient Api { get; }

    public static DateTime Deadline(double seconds = 10) => DateTime.UtcNow.AddSeconds(seconds);

    public void Dispose() => _channel.Dispose();
}
