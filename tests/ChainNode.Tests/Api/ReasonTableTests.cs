using System.Reflection;
using System.Text.RegularExpressions;
using Grpc.Core;
using LedgerContrast.ChainNode.Api;
using LedgerContrast.ChainNode.Consensus;

namespace LedgerContrast.ChainNode.Tests.Api;

/// <summary>
/// docs/PROTOCOL.md lists every reason the node answers with its gRPC status (§8, §10). The
/// tables are read here and compared with the code both ways, so neither can drift: a reason
/// added to the code without a row fails, and so does a row the code no longer has.
/// </summary>
public sealed partial class ReasonTableTests
{
    [Fact]
    public void Every_reason_in_the_code_is_in_the_protocol_document_with_its_status_and_nothing_else_is()
    {
        var documented = DocumentedReasons();
        var inCode = CodeReasons();

        Assert.Empty(inCode.Keys.Except(documented.Keys).Select(r => $"{r} is in the code but not in docs/PROTOCOL.md"));
        Assert.Empty(documented.Keys.Except(inCode.Keys).Select(r => $"{r} is in docs/PROTOCOL.md but not in the code"));
        Assert.Empty(inCode.Where(p => documented[p.Key] != p.Value).Select(p => $"{p.Key}: the code answers {p.Value}, the document says {documented[p.Key]}"));
    }

    private static Dictionary<string, StatusCode> CodeReasons()
    {
        var reasons = typeof(RejectReasons).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToDictionary(r => r, r => NodeStatuses.Of(new ConsensusException(r, "")));
        foreach (var (reason, status) in NodeReasons.Statuses)
        {
            reasons.Add(reason, status);
        }
        return reasons;
    }

    private static Dictionary<string, StatusCode> DocumentedReasons()
    {
        var text = File.ReadAllText(ProtocolDocument());
        var reasons = new Dictionary<string, StatusCode>();
        foreach (Match row in ReasonRow().Matches(text))
        {
            var status = Enum.Parse<StatusCode>(row.Groups[2].Value.Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
            Assert.True(reasons.TryAdd(row.Groups[1].Value, status), $"{row.Groups[1].Value} has two rows");
        }
        Assert.NotEmpty(reasons);
        return reasons;
    }

    private static string ProtocolDocument()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "docs", "PROTOCOL.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("docs/PROTOCOL.md was not found above the test's directory.");
    }

    /// <summary>A table row "| `REASON` | STATUS | …" (the tables of §8 and §10).</summary>
    [GeneratedRegex(@"^\| `([A-Z_]+)` \| ([A-Z_]+) \|", RegexOptions.Multiline)]
    private static partial Regex ReasonRow();
}
