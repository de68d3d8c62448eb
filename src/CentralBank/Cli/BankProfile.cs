using System.Text.Json;
using LedgerContrast.Shared.Cli;

namespace LedgerContrast.CentralBank.Cli;

/// <summary>
/// The local profile (owner-only JSON file): the server to talk to, a default token (for that
/// server), and the tokens of customers created from this machine with the server each belongs
/// to, so `--as alice` works without pasting tokens and never sends a token to the wrong bank.
/// </summary>
public sealed class BankProfile
{
    public const string EnvironmentVariable = "BANK_PROFILE";

    public string? Server { get; set; }
    public string? Token { get; set; }
    public Dictionary<string, SavedCustomer> Customers { get; set; } = new(StringComparer.Ordinal);

    /// <param name="Server">The bank that issued the token (null in profiles written before it was recorded).</param>
    public sealed record SavedCustomer(string CustomerId, string Token, string? Server = null);

    public static string DefaultPath =>
        Environment.GetEnvironmentVariable(EnvironmentVariable)
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ledgercontrast", "bank-profile.json");

    public static BankProfile Load(string path)
    {
        if (!File.Exists(path))
        {
            return new BankProfile();
        }
        try
        {
            return JsonSerializer.Deserialize<BankProfile>(File.ReadAllText(path)) ?? new BankProfile();
        }
        catch (JsonException)
        {
            throw new CliException("BAD_PROFILE", $"The profile {path} is not valid JSON; fix or delete it.");
        }
    }

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public void Save(string path) => OwnerOnlyFile.WriteAllText(path, JsonSerializer.Serialize(this, s_indented));
}
