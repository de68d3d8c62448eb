using LedgerContrast.Shared.Cli;
using LedgerContrast.Shared.Crypto;

namespace LedgerContrast.Shared.Tests.Cli;

public sealed class WalletStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "lc-wallets-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Concurrent_creates_of_one_wallet_name_keep_exactly_one_key_and_refuse_the_others()
    {
        const int creators = 16;
        var store = new WalletStore(_directory);
        using var start = new Barrier(creators);
        var outcomes = new (PrivateKey? Key, string? Refusal)[creators];

        var threads = Enumerable.Range(0, creators).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                outcomes[i] = (store.Create("alice"), null);
            }
            catch (CliException refused)
            {
                outcomes[i] = (null, refused.Reason);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var winner = Assert.Single(outcomes, o => o.Key is not null).Key!;
        Assert.All(outcomes.Where(o => o.Key is null), o => Assert.Equal("WALLET_EXISTS", o.Refusal));
        Assert.Equal(winner.PublicKey.ToArray(), store.Load("alice").PublicKey.ToArray());
        Assert.Equal(["alice.json"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void A_second_create_never_overwrites_a_key()
    {
        var store = new WalletStore(_directory);
        var first = store.Create("bob");

        var refused = Assert.Throws<CliException>(() => store.Create("bob"));

        Assert.Equal("WALLET_EXISTS", refused.Reason);
        Assert.Equal(first.PublicKey.ToArray(), store.Load("bob").PublicKey.ToArray());
    }

    [Fact]
    public void A_leftover_temporary_file_with_wide_permissions_is_never_reused_for_a_key()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        Directory.CreateDirectory(_directory);
        var leftover = Path.Combine(_directory, "carol.json.tmp");
        File.WriteAllText(leftover, "old");
        File.SetUnixFileMode(leftover, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        new WalletStore(_directory).Create("carol");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "carol.json")));
        Assert.Equal("old", File.ReadAllText(leftover));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
