using Aimi.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>
/// Each service keeps at most <see cref="ServiceDatabase.DefaultMaxPoolSize"/> connections to its database unless its connection
/// string says otherwise, so four services under load stay within one server's connection limit and wait for a free
/// connection instead of being refused. It spends no statements on resetting a pooled connection or on savepoints (issue 17).
/// </summary>
public sealed class ConnectionPoolTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task The_service_connects_with_the_bounded_pool_no_reset_on_close_and_prepared_statements()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await host.WithDbAsync(db => Task.FromResult(db.Database.GetConnectionString())));
        Assert.Equal((ServiceDatabase.DefaultMaxPoolSize, true, ServiceDatabase.DefaultMaxAutoPrepare),
            (connectionString.MaxPoolSize, connectionString.NoResetOnClose, connectionString.MaxAutoPrepare));
    }

    [Fact]
    public async Task A_transaction_the_service_opens_saves_without_savepoints()
    {
        var savepoints = await host.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            return db.Database.AutoSavepointsEnabled;
        });
        Assert.False(savepoints);
    }

    [Theory]
    [InlineData("Host=db;Database=goalsdb;Max Auto Prepare=0")]
    [InlineData("Host=db;Database=goalsdb;MaxAutoPrepare=0")]
    public void Automatic_preparation_in_the_connection_string_wins(string connectionString) =>
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(ServiceDatabase.ForService(connectionString)).MaxAutoPrepare);

    [Theory]
    [InlineData("Host=db;Database=goalsdb;No Reset On Close=false")]
    [InlineData("Host=db;Database=goalsdb;NoResetOnClose=false")]
    public void A_reset_on_close_in_the_connection_string_wins(string connectionString) =>
        Assert.False(new NpgsqlConnectionStringBuilder(ServiceDatabase.ForService(connectionString)).NoResetOnClose);

    [Theory]
    [InlineData("Host=db;Database=goalsdb;Maximum Pool Size=7")]
    [InlineData("Host=db;Database=goalsdb;maximum pool size=7")]
    [InlineData("Host=db;Database=goalsdb;MaxPoolSize=7")]
    public void A_pool_size_in_the_connection_string_wins(string connectionString) =>
        Assert.Equal(7, new NpgsqlConnectionStringBuilder(ServiceDatabase.ForService(connectionString)).MaxPoolSize);

    [Fact]
    public async Task The_services_sessions_run_no_parallel_query()
    {
        var workers = await host.WithDbAsync(db => db.Database.SqlQuery<string>($"SELECT current_setting('max_parallel_workers_per_gather') AS \"Value\"").SingleAsync());

        Assert.Equal("0", workers);
    }

    [Fact]
    public void No_parallel_query_is_added_once_after_the_strings_own_options_and_a_setting_of_its_own_wins()
    {
        Assert.Equal(ServiceDatabase.NoParallelQuery, new NpgsqlConnectionStringBuilder(ServiceDatabase.ForService("Host=db;Database=goalsdb")).Options);
        var own = ServiceDatabase.ForService("Host=db;Database=goalsdb;Options=-c statement_timeout=5000")!;
        Assert.Equal($"-c statement_timeout=5000 {ServiceDatabase.NoParallelQuery}", new NpgsqlConnectionStringBuilder(ServiceDatabase.ForService(own)).Options);
        Assert.Equal("-c max_parallel_workers_per_gather=2",
            new NpgsqlConnectionStringBuilder(ServiceDatabase.ForService("Host=db;Database=goalsdb;Options=-c max_parallel_workers_per_gather=2")).Options);
    }

    [Fact]
    public void Everything_else_in_the_connection_string_is_kept()
    {
        var limited = new NpgsqlConnectionStringBuilder(ServiceDatabase.ForService("Host=db;Port=5433;Database=goalsdb;Username=u;Password=p;Timeout=5"));
        Assert.Equal((ServiceDatabase.DefaultMaxPoolSize, true, "db", 5433, "goalsdb", "u", "p", 5),
            (limited.MaxPoolSize, limited.NoResetOnClose, limited.Host, limited.Port, limited.Database, limited.Username, limited.Password, limited.Timeout));
    }
}
