using System.Data;
using System.Data.Common;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>
/// <see cref="RawSql"/> runs our own SQL without EF Core's query compiler but otherwise as EF Core runs a command: its values as
/// parameters, on the context's connection and transaction, seen by the context's command interceptors.
/// </summary>
public sealed class RawSqlTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    private sealed class Plain(DbContextOptions<Plain> options) : DbContext(options);

    /// <summary>Counts the commands EF Core runs for the context: an interceptor sees each one before it reaches PostgreSQL.</summary>
    private sealed class CommandCounter : DbCommandInterceptor
    {
        public List<string> Seen { get; } = [];

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Seen.Add(command.CommandText);
            return ValueTask.FromResult(result);
        }
    }

    private async Task<Plain> ContextAsync(CommandCounter? counter = null)
    {
        var connectionString = await host.WithDbAsync(db => Task.FromResult(db.Database.GetConnectionString()));
        var options = new DbContextOptionsBuilder<Plain>().UseNpgsql(connectionString);
        if (counter is not null)
        {
            options.AddInterceptors(counter);
        }
        return new Plain(options.Options);
    }

    [Fact]
    public async Task Interpolated_values_are_parameters_and_come_back_as_they_went()
    {
        await using var db = await ContextAsync();
        const string text = "it's'; DROP TABLE events; --";
        Guid[] ids = [Guid.NewGuid(), Guid.NewGuid()];
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_123);
        string? none = null;

        var rows = await db.QueryAsync($"SELECT {text}, {none}::text, {ids}, {at}, {42L} + 1",
            row => (Text: row.GetString(0), None: row.IsDBNull(1), Ids: row.GetFieldValue<Guid[]>(2), At: row.GetFieldValue<DateTimeOffset>(3),
                Sum: row.GetInt64(4)),
            CancellationToken.None);

        var only = Assert.Single(rows);
        Assert.Equal(text, only.Text);
        Assert.True(only.None);
        Assert.Equal(ids, only.Ids);
        Assert.Equal(at, only.At);
        Assert.Equal(43L, only.Sum);
    }

    [Fact]
    public async Task A_raw_statements_named_parameters_are_sent_as_given()
    {
        await using var db = await ContextAsync();

        var rows = await db.QueryAsync("SELECT @word || '!', @n * 2", [new NpgsqlParameter("word", "hey"), new NpgsqlParameter("n", 21)],
            row => (row.GetString(0), row.GetInt32(1)), CancellationToken.None);

        Assert.Equal([("hey!", 42)], rows);
    }

    [Fact]
    public async Task A_raw_statement_is_taken_as_written()
    {
        await using var db = await ContextAsync();
        int[] pair = [1, 2];

        // Braces are SQL here (a JSON object, an array literal), not format placeholders.
        var rows = await db.QueryAsync("SELECT '{}'::jsonb ->> 'x' IS NULL, '{1,2}'::int[] = @pair", [new NpgsqlParameter("pair", pair)],
            row => (row.GetBoolean(0), row.GetBoolean(1)), CancellationToken.None);

        Assert.Equal([(true, true)], rows);
    }

    [Fact]
    public async Task Each_row_is_read_and_the_connection_is_handed_back()
    {
        await using var db = await ContextAsync();

        var squares = await db.ScalarsAsync<int>($"SELECT n * n FROM generate_series(1, {4}) AS n ORDER BY n", CancellationToken.None);

        Assert.Equal([1, 4, 9, 16], squares);
        Assert.Equal(ConnectionState.Closed, db.Database.GetDbConnection().State);
        Assert.Empty(await db.ScalarsAsync<int>($"SELECT 1 WHERE {false}", CancellationToken.None));
    }

    [Fact]
    public async Task It_runs_in_the_contexts_transaction()
    {
        await using var db = await ContextAsync();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.Database.ExecuteSqlAsync($"SELECT set_config('aimi.raw_sql_test', 'inside', true)");

            // A setting local to the transaction: seen only by a statement on the same connection, in the same transaction.
            Assert.Equal(["inside"], await db.ScalarsAsync<string>($"SELECT current_setting('aimi.raw_sql_test', true)", CancellationToken.None));
            await transaction.RollbackAsync();
        }
        var after = await db.QueryAsync($"SELECT current_setting('aimi.raw_sql_test', true)", row => row.IsDBNull(0) ? "" : row.GetString(0),
            CancellationToken.None);
        Assert.Equal([""], after);
    }

    [Fact]
    public async Task The_contexts_command_interceptors_see_the_statement()
    {
        var counter = new CommandCounter();
        await using var db = await ContextAsync(counter);

        await db.ScalarsAsync<int>($"SELECT {7} AS raw_sql_interceptor_probe", CancellationToken.None);

        Assert.Contains(counter.Seen, sql => sql.Contains("raw_sql_interceptor_probe", StringComparison.Ordinal));
    }
}
