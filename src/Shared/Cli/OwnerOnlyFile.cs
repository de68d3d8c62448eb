using System.Text;
using LedgerContrast.Shared.Storage;

namespace LedgerContrast.Shared.Cli;

/// <summary>Writes secrets (tokens, keys) to files only their owner can read, whole or not at all (<see cref="AtomicFile"/>).</summary>
public static class OwnerOnlyFile
{
    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/>, replacing any earlier file.</summary>
    public static void WriteAllText(string path, string contents) =>
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(contents), ownerOnly: true, replace: true);

    /// <summary>
    /// Creates <paramref name="path"/> only if no file of that name exists, atomically: of two
    /// concurrent creators exactly one wins; the other gets <see cref="FileAlreadyExistsException"/>.
    /// </summary>
    public static void CreateNew(string path, string contents) =>
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(contents), ownerOnly: true, replace: false);
}
