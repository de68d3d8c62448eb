using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Grpc.Core;
using LedgerContrast.Shared.Rpc;
using Spectre.Console;

namespace LedgerContrast.Shared.Cli;

/// <summary>
/// How every CLI verb answers: a table or sentence for people, or one JSON document with
/// <c>--json</c>; failures are one sentence on stderr (or a JSON error) and a non-zero exit code.
/// </summary>
public sealed class CliOutput(bool json, TextWriter? stdout = null, TextWriter? stderr = null)
{
    public const int Refused = 1;
    public const int Unreachable = 2;
    public const int BadInput = 3;
    public const int Internal = 4;

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private readonly TextWriter _out = stdout ?? Console.Out;
    private readonly TextWriter _err = stderr ?? Console.Error;

    public bool Json => json;

    private static string ToJson(object value) => JsonSerializer.Serialize(value, s_json);

    /// <summary>Writes <paramref name="model"/> as JSON, or runs <paramref name="human"/> for people.</summary>
    public int Success(object model, Action<IAnsiConsole> human)
    {
        ArgumentNullException.ThrowIfNull(human);
        if (json)
        {
            _out.WriteLine(ToJson(model));
        }
        else
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_out) });
            if (Console.IsOutputRedirected || _out != Console.Out)
            {
                console.Profile.Width = 240; // piped output is read by programs and logs: never wrap sentences
            }
            human(console);
        }
        return 0;
    }

    public int Fail(int exitCode, string reason, string sentence)
    {
        if (json)
        {
            _out.WriteLine(ToJson(new { error = new { reason, message = sentence } }));
        }
        else
        {
            _err.WriteLine(sentence);
        }
        return exitCode;
    }

    /// <summary>
    /// Parses and runs a command line. A command line that does not parse (a missing required
    /// option, an unknown verb) is a usage error: one sentence naming the help to read, and the
    /// bad-input exit code — 1 stays reserved for a server's refusal.
    /// </summary>
    public static Task<int> InvokeAsync(System.CommandLine.ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.Errors.Count == 0)
        {
            return parse.InvokeAsync();
        }
        var command = string.Join(' ', parse.CommandResult.Command.Parents.OfType<System.CommandLine.Command>().Reverse().Select(c => c.Name).Append(parse.CommandResult.Command.Name));
        // "Unrecognized command 'x'" says more than the "Required command was not provided" it causes.
        var error = parse.Errors.OrderBy(e => e.Message.StartsWith("Required command", StringComparison.Ordinal) ? 1 : 0).First();
        Console.Error.WriteLine($"{error.Message.TrimEnd('.')}. See `{command} --help`.");
        return Task.FromResult(BadInput);
    }

    /// <summary>Runs a verb and turns every expected failure into one sentence and an exit code.</summary>
    public async Task<int> RunAsync(string serverKind, Func<string?> target, Func<Task<int>> verb)
    {
        ArgumentNullException.ThrowIfNull(verb);
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            return await verb().ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && ex.Trailers.Get(RpcErrors.TrailerKey) is null)
        {
            return Fail(Unreachable, "UNAVAILABLE", $"Cannot reach the {serverKind} at {target()}: is it running?");
        }
        catch (RpcException ex)
        {
            var detail = RpcErrors.Describe(ex);
            var message = detail.Message.TrimEnd('.');
            return Fail(Refused, detail.Reason, $"The {serverKind} refused: {message} ({detail.Reason}).");
        }
        catch (CliException ex)
        {
            return Fail(BadInput, ex.Reason, ex.Message);
        }
        catch (FormatException ex)
        {
            return Fail(BadInput, "INVALID_INPUT", ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HttpRequestException or UriFormatException)
        {
            return Fail(Unreachable, "IO_ERROR", ex.Message);
        }
#pragma warning disable CA1031 // The CLI's last line of defence: one sentence, never a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Fail(Internal, "INTERNAL", $"Unexpected error: {ex.Message}");
        }
    }
}

/// <summary>A problem with what the person typed or has on disk, reported as one sentence.</summary>
public sealed class CliException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
