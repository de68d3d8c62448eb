using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace LedgerContrast.Shared.Rpc;

/// <summary>
/// A request body that is not the message it claims to be is refused with INVALID_ARGUMENT and
/// reason MALFORMED, like every other refusal, and costs one log line at most every ten seconds.
/// grpc-dotnet parses the body before any interceptor runs and answers a parse failure
/// UNKNOWN "Exception was thrown by handler." with a stack trace in the log per request; so the
/// services are bound here with request marshallers that turn a parse failure into a refusal.
/// </summary>
public static class MalformedRequests
{
    public const string Reason = "MALFORMED";

    /// <summary>Replaces grpc-dotnet's method binder for every service with one whose parsers refuse garbage cleanly.</summary>
    public static IServiceCollection AddMalformedRequestRefusal(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(GuardedServiceMethodProvider<>)));
        services.TryAddSingleton<MalformedRequestLog>();
        return services;
    }

    internal static Marshaller<T> Guard<T>(Marshaller<T> inner, string method, MalformedRequestLog log) =>
        new(inner.ContextualSerializer, context =>
        {
            try
            {
                return inner.ContextualDeserializer(context);
            }
            catch (InvalidProtocolBufferException ex)
            {
                log.Refused(method, ex.Message);
                throw RpcErrors.Create(StatusCode.InvalidArgument, Reason, "The request body is not a valid " + typeof(T).Name + " message.");
            }
        });
}

/// <summary>One line per ten seconds however many malformed requests arrive: a flood must not become a disk-filling log.</summary>
public sealed partial class MalformedRequestLog(ILogger<MalformedRequestLog> logger)
{
    private static readonly long s_intervalTicks = TimeSpan.FromSeconds(10).Ticks;
    private long _nextLogTicks;
    private long _suppressed;

    public void Refused(string method, string detail)
    {
        var now = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        var next = Interlocked.Read(ref _nextLogTicks);
        if (now < next || Interlocked.CompareExchange(ref _nextLogTicks, now + s_intervalTicks, next) != next)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }
        LogMalformed(logger, method, detail, Interlocked.Exchange(ref _suppressed, 0));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a malformed request to {Method} ({Detail}); {Suppressed} more were refused since the last such line")]
    private static partial void LogMalformed(ILogger logger, string method, string detail, long suppressed);
}

/// <summary>
/// Binds a generated service (its static BindService, as grpc-dotnet's own provider does) and
/// adds each method with a guarded request marshaller.
/// </summary>
internal sealed class GuardedServiceMethodProvider<TService>(MalformedRequestLog log) : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var bindMethod = FindBindMethod(typeof(TService));
        if (bindMethod is null)
        {
            return;
        }
        var binder = new GuardedBinder(context, log);
        bindMethod.Invoke(null, [binder, null]);
    }

    private static MethodInfo? FindBindMethod(Type type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } attribute)
            {
                return attribute.BindType.GetMethods(BindingFlags.Public | BindingFlags.Static)
                    .FirstOrDefault(m => m.Name == attribute.BindMethodName && m.GetParameters().Length == 2
                        && m.GetParameters()[0].ParameterType == typeof(ServiceBinderBase));
            }
        }
        return null;
    }

    private sealed class GuardedBinder(ServiceMethodProviderContext<TService> context, MalformedRequestLog log) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(Guarded(method), Metadata(method), Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(method));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(Guarded(method), Metadata(method), Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(Guarded(method), Metadata(method), Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(Guarded(method), Metadata(method), Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method));

        private Method<TRequest, TResponse> Guarded<TRequest, TResponse>(Method<TRequest, TResponse> method)
            where TRequest : class where TResponse : class =>
            new(method.Type, method.ServiceName, method.Name, MalformedRequests.Guard(method.RequestMarshaller, method.FullName, log), method.ResponseMarshaller);

        private static TDelegate Invoker<TDelegate>(IMethod method)
            where TDelegate : Delegate
        {
            var handler = ServiceMethod(method)
                ?? throw new InvalidOperationException($"{typeof(TService).Name} has no method {method.Name}.");
            return (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler);
        }

        /// <summary>Attributes of the service and the method, so endpoint metadata matches grpc-dotnet's own binding.</summary>
        private static List<object> Metadata(IMethod method)
        {
            List<object> metadata = [.. typeof(TService).GetCustomAttributes(inherit: true)];
            if (ServiceMethod(method) is { } handler)
            {
                metadata.AddRange(handler.GetCustomAttributes(inherit: true));
            }
            return metadata;
        }

        private static MethodInfo? ServiceMethod(IMethod method) =>
            typeof(TService).GetMethod(method.Name, BindingFlags.Public | BindingFlags.Instance);
    }
}
