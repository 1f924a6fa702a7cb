using Aimi.Memory.Api.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
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
    /// each execution cost Memory more than executing (issue 17). The vector half too, since it takes its query as typed parameters
    /// (below); without parallel query, which its generic plan chose (a worker for the bit scan: 96 ms against 8 ms).
    /// </summary>
    [Fact]
    public async Task The_services_own_sessions_let_postgres_keep_a_generic_plan_without_parallel_workers()
    {
        var settings = await host.WithDbAsync(db => db.Database.SqlQuery<string>(
            $"SELECT current_setting('plan_cache_mode') || ' ' || current_setting('max_parallel_workers_per_gather') AS \"Value\"").SingleAsync());

        Assert.Equal("auto 0", settings);
    }

    /// <summary>
    /// The vector half's query vector is a <c>vector</c> parameter and its sign bits a <c>bit varying</c> one, computed here: sent as text, a
    /// generic plan cast the text and quantized it on every row of the user (47 ms against 3 ms at 10k memories a user), so the half ran on
    /// sessions that planned each execution: 2.0–2.6 ms of planning a chat turn (issue 17). Read from the statement PostgreSQL prepared.
    /// </summary>
    [Fact]
    public async Task The_vector_half_takes_its_query_as_a_vector_and_its_bits_not_as_text()
    {
        // Prepared once used twice; CloneWith keeps the service's password.
        await using var connection = await host.WithDbAsync(db =>
        {
            var own = (NpgsqlConnection)db.Database.GetDbConnection();
            return Task.FromResult(own.CloneWith(new NpgsqlConnectionStringBuilder(own.ConnectionString) { AutoPrepareMinUsages = 2, MaxAutoPrepare = 10 }.ConnectionString));
        });
        await connection.OpenAsync();
        var vector = RandomVector(17);
        for (var i = 0; i < 3; i++)
        {
            await MemorySearch.VectorCandidatesAsync(connection, $"vector-parameters-{Guid.NewGuid():N}", vector, SearchScope.Current, 10, new SearchOptions(), CancellationToken.None);
        }

        await using var command = new NpgsqlCommand("SELECT parameter_types::text[] FROM pg_prepared_statements WHERE statement LIKE '%embedding_bits <~>%'", connection);
        var types = (string[])(await command.ExecuteScalarAsync())!;

        Assert.Contains("vector", types);
        Assert.Contains("bit varying", types);
    }

    /// <summary>The sign bits the vector half computes are pgvector's <c>binary_quantize</c>, in its order: the index holds those.</summary>
    [Fact]
    public async Task The_query_sign_bits_are_the_ones_pgvector_stores()
    {
        var vector = RandomVector(5);
        vector[0] = 0; // zero is not above zero: no bit
        vector[1] = -0.5f;
        vector[2] = 0.5f;

        var stored = await host.WithDbAsync(db => db.QueryAsync("SELECT binary_quantize(@q::vector)::text", new Dictionary<string, object?> { ["q"] = Sql.Vector(vector) },
            r => r.GetString(0), CancellationToken.None));

        Assert.Equal(stored.Single(), Sql.SignBits(vector).Text);
    }

    private static float[] RandomVector(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, MemoryDbContext.Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}
