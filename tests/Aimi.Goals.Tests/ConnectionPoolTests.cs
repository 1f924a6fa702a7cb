using Aimi.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>
/// Each service keeps at most <see cref="ServiceDatabase.DefaultMaxPoolSize"/> connections to its database unless its connection
/// string says otherwise, so four services under load stay within one server's connection limit and wait for a free
/// connection instead of being refused.
/// </summary>
public sealed class ConnectionPoolTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task The_service_connects_with_the_bounded_pool()
    {
        var connectionString = await host.WithDbAsync(db => Task.FromResult(db.Database.GetConnectionString()));
        Assert.Equal(ServiceDatabase.DefaultMaxPoolSize, new NpgsqlConnectionStringBuilder(connectionString).MaxPoolSize);
    }

    [Theory]
    [InlineData("Host=db;Database=goalsdb;Maximum Pool Size=7")]
    [InlineData("Host=db;Database=goalsdb;maximum pool size=7")]
    [InlineData("Host=db;Database=goalsdb;MaxPoolSize=7")]
    public void A_pool_size_in_the_connection_string_wins(string connectionString) =>
        Assert.Equal(7, new NpgsqlConnectionStringBuilder(ServiceDatabase.WithPoolLimit(connectionString)).MaxPoolSize);

    [Fact]
    public void Everything_else_in_the_connection_string_is_kept()
    {
        var limited = new NpgsqlConnectionStringBuilder(ServiceDatabase.WithPoolLimit("Host=db;Port=5433;Database=goalsdb;Username=u;Password=p;Timeout=5"));
        Assert.Equal((ServiceDatabase.DefaultMaxPoolSize, "db", 5433, "goalsdb", "u", "p", 5),
            (limited.MaxPoolSize, limited.Host, limited.Port, limited.Database, limited.Username, limited.Password, limited.Timeout));
    }
}
