using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary>
/// Every index on <c>memories</c> is paid for by every insert (two per chat turn, a thousand per import), so each must serve a
/// query the service runs: the default vector half scans the sign bits in a btree, and no HNSW index is kept for a mode that
/// is off (issue 17: it cost 2+ ms of PostgreSQL's CPU per insert).
/// </summary>
public sealed class MemoryIndexTests(MemoryHost host) : IClassFixture<MemoryHost>
{
    [Fact]
    public async Task Memories_keep_the_quantized_scans_index_and_no_hnsw_index()
    {
        var indexes = await host.WithDbAsync(db => db.Database
            .SqlQuery<string>($"SELECT indexdef AS \"Value\" FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'memories'")
            .ToListAsync());

        Assert.DoesNotContain(indexes, definition => definition.Contains("USING hnsw", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(indexes, definition => definition.Contains("(user_id, is_active, kind) INCLUDE (id, embedding_bits)", StringComparison.Ordinal));
    }

    /// <summary>
    /// The full-text index takes each new row at once instead of through GIN's pending list, which every lookup of every user read
    /// whole (up to 4 MB: a one-word lookup at 1M memories took 27 ms with it full, and a search at 1M 20.4 ms p50 against 13.9).
    /// </summary>
    [Fact]
    public async Task The_full_text_index_keeps_no_pending_list()
    {
        var options = await host.WithDbAsync(db => db.Database.SqlQuery<string>(
            $"SELECT coalesce(array_to_string(reloptions, ','), '') AS \"Value\" FROM pg_class WHERE relname = 'ix_memory_texts_user_id_search_vector'").SingleAsync());

        Assert.Contains("fastupdate=off", options, StringComparison.Ordinal);
    }

    /// <summary>
    /// The service's statements are prepared once used five times, and PostgreSQL may then keep a generic plan for them: planning
    /// each execution cost Memory more than executing (issue 17). Only the vector half plans each of its executions for its own
    /// vector and scope (<see cref="Aimi.Persistence.ServiceDatabase.WithCustomPlans"/>; its generic plan computes the query's sign bits on every
    /// row of the user: 47 ms against 3 ms at 10k memories a user).
    /// </summary>
    [Fact]
    public async Task The_services_own_sessions_let_postgres_keep_a_generic_plan()
    {
        var mode = await host.WithDbAsync(db => db.Database.SqlQuery<string>($"SELECT current_setting('plan_cache_mode') AS \"Value\"").SingleAsync());

        Assert.Equal("auto", mode);
    }
}
