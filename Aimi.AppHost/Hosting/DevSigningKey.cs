using System.Security.Cryptography;

namespace Aimi.AppHost.Hosting;

/// <summary>A per-machine development signing key, generated once and kept in <c>.aimi/dev-signing-key</c> (git-ignored).</summary>
public static class DevSigningKey
{
    public static string GetOrCreate(string repositoryRoot)
    {
        var path = Path.Combine(repositoryRoot, ".aimi", "dev-signing-key");
        var replace = false;
        if (File.Exists(path))
        {
            if (File.ReadAllText(path).Trim() is { Length: >= 32 } existing)
            {
                return existing;
            }
            replace = true; // too short for HMAC-SHA256 (the services refuse it): generate a proper one
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        try
        {
            // CreateNew: if two AppHosts race, the second one reads the first one's key instead of overwriting it.
            using var file = new FileStream(path, replace ? FileMode.Create : FileMode.CreateNew, FileAccess.Write);
            using var writer = new StreamWriter(file);
            writer.Write(key);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
    }
}
