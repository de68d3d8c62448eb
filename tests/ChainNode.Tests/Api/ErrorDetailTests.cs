using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using LedgerContrast.ChainNode.Tests.Harness;
using LedgerContrast.Protos.Chain.V1;
using LedgerContrast.Protos.Common.V1;

namespace LedgerContrast.ChainNode.Tests.Api;

/// <summary>What a client in any language, or grpcurl, gets from a refusal: the standard rich error, decodable through reflection.</summary>
public class ErrorDetailTests
{
    [Fact]
    public async Task A_refusal_carries_its_ErrorDetail_in_the_standard_status_details_too()
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);

        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
            await node.Api.GetBlockAsync(new GetBlockRequest { Height = 1_000 }));

        var status = refused.GetRpcStatus();
        Assert.NotNull(status);
        Assert.Equal((int)StatusCode.NotFound, status.Code);
        var detail = Assert.Single(status.Details).Unpack<ErrorDetail>();
        Assert.Equal("BLOCK_NOT_FOUND", detail.Reason);
        Assert.Equal(Shared.Rpc.RpcErrors.Describe(refused), detail);
    }

    [Fact]
    public async Task Server_reflection_serves_the_ErrorDetail_descriptor()
    {
        await using var network = new TestNetwork();
        var node = await network.StartNodeAsync([]);
        using var channel = GrpcChannel.ForAddress(node.Url);
        var reflection = new ServerReflection.ServerReflectionClient(channel);

        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = ErrorDetail.Descriptor.FullName });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var answer = call.ResponseStream.Current;

        Assert.Equal(ServerReflectionResponse.MessageResponseOneofCase.FileDescriptorResponse, answer.MessageResponseCase);
        var files = answer.FileDescriptorResponse.FileDescriptorProto.Select(b => FileDescriptorProto.Parser.ParseFrom(b)).ToList();
        Assert.Contains(files, f => f.Package == "ledgercontrast.common.v1" && f.MessageType.Any(m => m.Name == "ErrorDetail"));
    }
}
