using Aimi.Infrastructure;

namespace Aimi.Testing;

/// <summary>
/// Ensures the local servers once per test process (the set-up script itself is safe across processes), and hands
/// out private resources: a fresh database and a RabbitMQ virtual host per test host, so tests never see each
/// other's rows or messages.
/// </summary>
public static class TestInfrastructure
{
    private static readonly Lazy<Task> Ensured = new(() => LocalInfrastructure.EnsureAsync());

    public static Task EnsureAsync() => Ensured.Value;

    public static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];

    public static async Task<TestDatabase> CreateDatabaseAsync(string prefix)
    {
        await EnsureAsync();
        var name = UniqueName($"test_{prefix}");
        return new TestDatabase(name, await LocalInfrastructure.EnsureDatabaseAsync(name));
    }

    public static async Task<TestVirtualHost> CreateVirtualHostAsync(string prefix)
    {
        await EnsureAsync();
        var name = UniqueName($"test-{prefix}");
        return new TestVirtualHost(name, await LocalInfrastructure.EnsureVirtualHostAsync(name));
    }
}

public sealed record TestDatabase(string Name, string ConnectionString) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await LocalInfrastructure.DropDatabaseAsync(Name);
}

public sealed record TestVirtualHost(string Name, string ConnectionString) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await LocalInfrastructure.DeleteVirtualHostAsync(Name);
}
