using System.Diagnostics;
using Xunit;

namespace LedgerContrast.TestSupport;

/// <summary>A small tmpfs mounted for one test (CI runs as root); unmounted on dispose.</summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    public static Tmpfs Mount(int megabytes)
    {
        var path = TempDirectory.NewPath("lc-tmpfs-");
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        return new Tmpfs(path);
    }

    /// <summary>Writes a filler file until only about <paramref name="bytes"/> are free; returns its path.</summary>
    public string FillLeaving(long bytes)
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        var toWrite = new DriveInfo(Path).AvailableFreeSpace - bytes;
        var buffer = new byte[1024 * 1024];
        using (var stream = File.Create(filler))
        {
            for (long written = 0; written < toWrite; written += buffer.Length)
            {
                stream.Write(buffer, 0, (int)Math.Min(buffer.Length, toWrite - written));
            }
        }
        return filler;
    }

    public static bool CanMount()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return false;
        }
        try
        {
            using var probe = Mount(1);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            Run("umount", "-l", Path);
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // best effort: a leftover empty mount point in /tmp is harmless
        }
    }

    private static void Run(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start.");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} failed: {error}");
        }
    }
}

/// <summary>A test that needs a tmpfs of its own: skipped, saying why, where mounting is impossible (not root, not Linux).</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> s_canMount = new(Tmpfs.CanMount);

    public TmpfsFactAttribute()
    {
        if (!s_canMount.Value)
        {
            Skip = "needs to mount a tmpfs (root on Linux) to fill a real disk";
        }
    }
}
