using System.Net;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary>
/// The full-text half reads <c>memory_texts</c>, which only the database writes (a trigger on <c>memories</c>): it must follow its
/// memory through every change, whoever makes it, or search would find what is no longer current, or miss what is.
/// </summary>
public sealed class FullTextRowTests(MemoryHost host) : IClassFixture<MemoryHost>
{
    [Fact]
    public async Task The_full_text_row_follows_its_memory_when_written_deactivated_reworded_and_deleted()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        await host.RememberAsync(user, "I live in Berlin.");
        var memory = await host.WithDbAsync(db => db.Memories.SingleAsync(m => m.UserId == user && m.Kind == MemoryKind.Fact));

        var written = await TextRowAsync(memory.Id);
        Assert.Equal((user, "fact", true), (written!.UserId, written.Kind, written.IsActive));
        Assert.Contains("'berlin'", written.Stems, StringComparison.Ordinal);

        // A raw UPDATE, as the cleanup worker deactivates stale memories: the row follows and search leaves it out as current.
        await ExecuteAsync("UPDATE memories SET is_active = false WHERE id = @id", memory.Id);
        Assert.False((await TextRowAsync(memory.Id))!.IsActive);
        Assert.DoesNotContain(await SearchAsync(client, "Berlin"), id => id == memory.Id);
        Assert.Contains(await SearchAsync(client, "Berlin", includeInactive: true), id => id == memory.Id);

        // New words: the stems are computed again (English and Russian), the old ones are gone.
        await ExecuteAsync("UPDATE memories SET is_active = true, content = 'Я живу в Гамбурге' WHERE id = @id", memory.Id);
        var reworded = await TextRowAsync(memory.Id);
        Assert.True(reworded!.IsActive);
        Assert.DoesNotContain("'berlin'", reworded.Stems, StringComparison.Ordinal);
        Assert.Contains("'гамбург'", reworded.Stems, StringComparison.Ordinal);

        using var deleted = await client.DeleteAsync($"/memory/items/{memory.Id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(await TextRowAsync(memory.Id));
    }

    [Fact]
    public async Task Forgetting_everything_leaves_no_full_text_row_of_the_user()
    {
        var user = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        await host.RememberAsync(user, "I work at Contoso.", "My sister Anna lives in Paris.");
        await host.RememberAsync(other, "I work at Contoso.");

        using var forgotten = await host.ClientFor(user).DeleteAsync("/memory");
        Assert.Equal(HttpStatusCode.OK, forgotten.StatusCode);

        Assert.Equal(0, await host.WithDbAsync(db => db.MemoryTexts.CountAsync(t => t.UserId == user)));
        Assert.True(await host.WithDbAsync(db => db.MemoryTexts.AnyAsync(t => t.UserId == other)));
    }

    /// <summary>A database that has memories before the migration gets their rows; going back restores the old column.</summary>
    [Fact]
    public async Task The_migration_backfills_existing_memories_and_can_be_reverted()
    {
        const string before = "20261201173529_QuantizedAndPerUserSearch";
        await using var database = await TestInfrastructure.CreateDatabaseAsync("memory_migration");
        var options = new DbContextOptionsBuilder<MemoryDbContext>().UseNpgsql(database.ConnectionString, npgsql => npgsql.UseVector())
            .UseSnakeCaseNamingConvention().Options;
        await using var db = new MemoryDbContext(options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync(before);
        var id = Guid.NewGuid();
        await db.Database.ExecuteSqlRawAsync(
            """
            INSERT INTO memories (id, user_id, kind, content, embedding, is_active, valid_from, recorded_at, last_seen_at, source_message_ids, reinforcement_count)
            VALUES ({0}, 'old-user', 'fact', 'I prefer green tea', array_fill(0.05, ARRAY[384])::vector, true, now(), now(), now(), ARRAY['m-1'], 0)
            """, id);

        await migrator.MigrateAsync();
        Assert.Contains("'green'", await ScalarAsync<string>(db, $"SELECT search_vector::text FROM memory_texts WHERE memory_id = '{id}'"), StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'memories' AND column_name = 'search_vector'"));

        await migrator.MigrateAsync(before);
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM memories WHERE search_vector @@ to_tsquery('english', 'tea')"));
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_proc WHERE proname = 'memory_texts_follow'"));
        // Migrating forward again works from that state (nothing of the first run was left behind).
        await migrator.MigrateAsync();
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM memory_texts"));
    }

    private sealed record TextRow(string UserId, string Kind, bool IsActive, string Stems);

    private Task<TextRow?> TextRowAsync(Guid memoryId) => host.WithDbAsync(async db =>
        (await db.QueryAsync("SELECT user_id, kind, is_active, search_vector::text FROM memory_texts WHERE memory_id = @id",
            new Dictionary<string, object?> { ["id"] = memoryId },
            r => new TextRow(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetString(3)), default)).SingleOrDefault());

    private static async Task<T> ScalarAsync<T>(MemoryDbContext db, string sql) =>
        (await db.QueryAsync(sql, new Dictionary<string, object?>(), r => r.GetFieldValue<T>(0), default)).Single();

    private Task<int> ExecuteAsync(string sql, Guid id) =>
        host.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(sql, new NpgsqlParameter("id", id)));

    private static async Task<List<Guid>> SearchAsync(HttpClient client, string query, bool includeInactive = false)
    {
        var hits = await client.GetJsonAsync($"/memory/search?q={Uri.EscapeDataString(query)}&k=20&includeInactive={includeInactive}");
        return hits.Items().Select(h => Guid.Parse(h.Str("id"))).ToList();
    }
}
