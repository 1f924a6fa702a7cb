using System.Globalization;

namespace Aimi.Memory.Benchmarks;

/// <summary>
/// Command line: <c>--users 100 --per-user 10000 --queries 200 --sessions 30 --import-messages 1000 --reload --hnsw</c>.
/// <c>--hnsw</c> builds the HNSW index if it is missing (minutes at 1M rows) and measures that mode too; <c>--search-only</c> measures
/// vector search, search and context only (no model recall, ONNX options, session end, import or retrieval evaluation); <c>--eval</c> runs the
/// retrieval evaluation alone (it also ends every run without <c>--search-only</c>); <c>--import-only</c> the embedder (int8 beside the float model) and the transcript import alone; <c>--searchable-only</c> session end → searchable and message → searchable alone.
/// </summary>
public sealed record BenchOptions(int Users, int PerUser, int Queries, int Sessions, int ImportMessages, bool Reload, bool Hnsw, bool SearchOnly, bool Eval, bool ImportOnly, string Database)
{
    /// <summary><c>--searchable-only</c>: how soon a session's end and a chat message can be found, alone (at the corpus's size).</summary>
    public bool SearchableOnly { get; init; }

    public const string Usage =
        "usage: dotnet run -c Release --project bench/Aimi.Memory.Benchmarks -- [--users 100] [--per-user 10000] [--queries 200] [--sessions 30] [--import-messages 1000] [--reload] [--hnsw] [--search-only] [--eval] [--import-only] [--searchable-only] [--database memory_bench]";

    public long Total => (long)Users * PerUser;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions(100, 10_000, 200, 30, 1000, false, false, false, false, false, "memory_bench");
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Number() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{args[i]} needs a positive number.");
            options = args[i] switch
            {
                "--users" => options with { Users = Number() },
                "--per-user" => options with { PerUser = Number() },
                "--queries" => options with { Queries = Number() },
                "--sessions" => options with { Sessions = Number() },
                "--import-messages" => options with { ImportMessages = Number() },
                "--reload" => options with { Reload = true },
                "--hnsw" => options with { Hnsw = true },
                "--search-only" => options with { SearchOnly = true },
                "--eval" => options with { Eval = true },
                "--import-only" => options with { ImportOnly = true },
                "--searchable-only" => options with { SearchableOnly = true },
                "--database" => options with { Database = Next() },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }
        return options;
    }
}
