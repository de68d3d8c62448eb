using System.Text.Json;
using System.Text.RegularExpressions;
using LedgerContrast.Shared.Crypto;
using LedgerContrast.Shared.Storage;

namespace LedgerContrast.Shared.Cli;

/// <summary>
/// Local wallets: one owner-only JSON file per wallet holding its secret key. Location:
/// --wallet-dir, else $CHAIN_WALLET_DIR, else ~/.ledgercontrast/wallets.
/// </summary>
public sealed partial class WalletStore(string directory)
{
    public const string EnvironmentVariable = "CHAIN_WALLET_DIR";

    public string Directory { get; } = directory;

    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable(EnvironmentVariable)
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ledgercontrast", "wallets");

    public sealed record WalletFile(string Name, string SecretKey, DateTimeOffset Created);

    public PrivateKey Create(string name)
    {
        var path = PathOf(name);
        var key = PrivateKey.Generate();
        try
        {
            // Never overwrite a key: funds may already be sent to it.
            OwnerOnlyFile.CreateNew(path, JsonSerializer.Serialize(new WalletFile(name, Convert.ToHexStringLower(key.ToBytes()), DateTimeOffset.UtcNow)));
        }
        catch (FileAlreadyExistsException)
        {
            throw new CliException("WALLET_EXISTS", $"A wallet named '{name}' already exists in {Directory}.");
        }
        return key;
    }

    public PrivateKey Load(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            throw new CliException("UNKNOWN_WALLET", $"There is no wallet named '{name}' in {Directory}; create it with: chain wallet new {name}");
        }
        try
        {
            var file = JsonSerializer.Deserialize<WalletFile>(File.ReadAllText(path)) ?? throw new JsonException();
            return PrivateKey.FromBytes(Convert.FromHexString(file.SecretKey));
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new CliException("BAD_WALLET", $"The wallet file {path} is damaged.");
        }
    }

    public IReadOnlyList<string> Names() =>
        System.IO.Directory.Exists(Directory)
            ? [.. System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)]
            : [];

    private string PathOf(string name)
    {
        if (!WalletName().IsMatch(name))
        {
            throw new CliException("BAD_WALLET_NAME", $"'{name}' is not a wallet name: use 1 to 40 letters, digits, '-' or '_'.");
        }
        return Path.Combine(Directory, name + ".json");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,40}$")]
    private static partial Regex WalletName();
}
