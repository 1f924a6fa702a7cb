using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace Aimi.Memory.Benchmarks;

/// <summary>
/// A synthetic memory set: each user has topics (random unit centroids in 384 dimensions); a memory is its topic's centroid
/// plus noise, normalised, with a short text of topic words (so the full-text column is real). Deterministic per seed.
/// Embedding a million real texts with the local model would take ~40 minutes on 2 cores, so vectors are generated.
/// </summary>
public static class Corpus
{
    public const int Dimensions = 384;
    public const int TopicsPerUser = 50;
    private const float Noise = 0.6f;

    private static readonly string[] Words =
    [
        "work", "meeting", "project", "deadline", "family", "sister", "mother", "run", "gym", "marathon", "sleep", "doctor", "trip", "flight",
        "berlin", "munich", "interview", "contoso", "cooking", "dinner", "friends", "party", "budget", "rent", "exam", "course", "guitar", "music",
        "работа", "встреча", "проект", "семья", "сестра", "бег", "зал", "сон", "врач", "поездка", "собеседование", "ужин", "друзья", "экзамен",
    ];

    public static string User(int index) => $"bench-user-{index:D4}";

    public static float[] Centroid(int user, int topic)
    {
        // Not HashCode.Combine: it is seeded per process, and a later run must query the centroids an earlier run loaded.
        var random = new Random((user * TopicsPerUser) + topic + 17);
        return Normalise(Enumerable.Range(0, Dimensions).Select(_ => (float)Gaussian(random)).ToArray());
    }

    public static float[] Near(float[] centroid, Random random) =>
        Normalise(centroid.Select(x => x + Noise * (float)Gaussian(random) / MathF.Sqrt(Dimensions)).ToArray());

    // Two everyday words of the topic and six rarer ones from a 20,000-word synthetic vocabulary, so a query word matches
    // a few percent of a user's memories, as in conversation, not half of them.
    public static string Text(int user, int topic, Random random) =>
        string.Join(' ', Enumerable.Range(0, 2).Select(i => Words[(topic * 7 + i * 3 + random.Next(3)) % Words.Length])
            .Concat(Enumerable.Range(0, 6).Select(_ => $"w{random.Next(20_000)}"))) + $" note {user}-{topic}";

    /// <summary>
    /// Most of a user's memories are episodes (every message is one); a session's summary and facts are the rest: of every ten, eight
    /// episodes, a summary and a fact.
    /// </summary>
    private static string KindOf(int i) => (i % 10) switch { 0 => "summary", 1 => "fact", _ => "episode" };

    /// <summary>COPYs the rows in with the HNSW index dropped (much faster than per-row inserts); <see cref="EnsureHnswAsync"/> builds it when asked.</summary>
    public static async Task LoadAsync(NpgsqlDataSource dataSource, BenchOptions options)
    {
        await Execute(dataSource, "DROP INDEX IF EXISTS ix_memories_embedding_hnsw");
        // memory_texts (the full-text rows a trigger writes beside each memory) goes with them.
        await Execute(dataSource, "TRUNCATE memories CASCADE");
        var watch = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow;
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var writer = await connection.BeginBinaryImportAsync(
                "COPY memories (id, user_id, kind, content, embedding, is_active, valid_from, recorded_at, last_seen_at, source_message_ids, reinforcement_count) FROM STDIN (FORMAT BINARY)");
            // The full-text trigger stems every row as the COPY completes: minutes at 1M rows, far past the default 30 s.
            writer.Timeout = TimeSpan.FromHours(1);
            for (var u = 0; u < options.Users; u++)
            {
                var random = new Random(u);
                var centroids = Enumerable.Range(0, TopicsPerUser).Select(t => Centroid(u, t)).ToArray();
                for (var i = 0; i < options.PerUser; i++)
                {
                    var topic = random.Next(TopicsPerUser);
                    var at = now.AddMinutes(-random.Next(525_600));
                    await writer.StartRowAsync();
                    await writer.WriteAsync(Guid.CreateVersion7(at), NpgsqlDbType.Uuid);
                    await writer.WriteAsync(User(u), NpgsqlDbType.Varchar);
                    await writer.WriteAsync(KindOf(i), NpgsqlDbType.Varchar);
                    await writer.WriteAsync(Text(u, topic, random), NpgsqlDbType.Varchar);
                    await writer.WriteAsync(new Vector(Near(centroids[topic], random)));
                    await writer.WriteAsync(true, NpgsqlDbType.Boolean);
                    await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(new[] { $"m-{u}-{i}" }, NpgsqlDbType.Array | NpgsqlDbType.Text);
                    await writer.WriteAsync(0, NpgsqlDbType.Integer);
                }
            }
            await writer.CompleteAsync();
        }
        Console.WriteLine($"loaded {options.Total:N0} memories in {watch.Elapsed.TotalSeconds:F1} s");

        // VACUUM sets the visibility map, so the quantized scan is index-only (autovacuum does the same for a live table).
        await Execute(dataSource, "VACUUM ANALYZE memories");
        await Execute(dataSource, "VACUUM ANALYZE memory_texts");
    }

    /// <summary>
    /// Reads the tables and indexes a search uses into PostgreSQL's buffer cache, so the figures are those of a server that has been
    /// answering for a while, not of whichever pages an earlier run left there; says what the cache holds.
    /// </summary>
    public static async Task<string> PrewarmAsync(NpgsqlDataSource dataSource)
    {
        await Execute(dataSource, "CREATE EXTENSION IF NOT EXISTS pg_prewarm");
        await using var command = dataSource.CreateCommand(
            """
            SELECT current_setting('shared_buffers'), (coalesce(sum(pg_prewarm(c.oid)), 0) * 8 / 1024)::bigint
            FROM pg_class c
            WHERE c.relname IN ('memories', 'memory_texts', 'pk_memories', 'ix_memories_user_id_is_active_kind', 'ix_memory_texts_user_id_search_vector')
            """);
        command.CommandTimeout = 600; // a few GB from disk after a restart
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return $"shared_buffers {reader.GetString(0)}, {reader.GetInt64(1):N0} MB of memories and their search indexes read into it";
    }

    /// <summary>Builds the HNSW index of the migrations if it is missing (the load drops it: 5+ minutes at 1M rows on 2 cores).</summary>
    public static async Task EnsureHnswAsync(NpgsqlDataSource dataSource)
    {
        await using (var command = dataSource.CreateCommand("SELECT to_regclass('ix_memories_embedding_hnsw') IS NOT NULL"))
        {
            if ((bool)(await command.ExecuteScalarAsync())!)
            {
                return;
            }
        }
        var watch = Stopwatch.StartNew();
        await Execute(dataSource, "SET maintenance_work_mem = '4GB'; CREATE INDEX ix_memories_embedding_hnsw ON memories USING hnsw (embedding vector_cosine_ops)");
        Console.WriteLine($"built the HNSW index in {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>The corpus's own rows (their message ids are <c>m-user-i</c>), so earlier runs' session-end facts do not force a reload.</summary>
    public static async Task<long> CountAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM memories WHERE user_id LIKE 'bench-user-%' AND source_message_ids[1] LIKE 'm-%'");
        command.CommandTimeout = 0; // a scan of the whole table: tens of seconds on a busy machine
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task Execute(NpgsqlDataSource dataSource, string sql)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static float[] Normalise(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }
}
