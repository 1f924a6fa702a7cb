using Aimi.AppHost.Hosting;

namespace Aimi.AppHost.Tests;

public sealed class DevSigningKeyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("aimi-key-").FullName;

    [Fact]
    public void Generates_a_key_once_and_keeps_it_private()
    {
        var first = DevSigningKey.GetOrCreate(_root);
        var second = DevSigningKey.GetOrCreate(_root);

        Assert.Equal(first, second);
        Assert.Matches("^[0-9a-f]{64}$", first);
        var path = Path.Combine(_root, ".aimi", "dev-signing-key");
        Assert.Equal(first, File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Different_machines_get_different_keys()
    {
        var other = Directory.CreateTempSubdirectory("aimi-key-").FullName;
        try
        {
            Assert.NotEqual(DevSigningKey.GetOrCreate(_root), DevSigningKey.GetOrCreate(other));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public void Replaces_a_key_too_short_to_sign_with()
    {
        Directory.CreateDirectory(Path.Combine(_root, ".aimi"));
        File.WriteAllText(Path.Combine(_root, ".aimi", "dev-signing-key"), "short");

        var key = DevSigningKey.GetOrCreate(_root);

        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, DevSigningKey.GetOrCreate(_root));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
