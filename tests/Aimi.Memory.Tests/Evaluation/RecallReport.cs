using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Aimi.Memory.Tests.Evaluation;

/// <summary>One question answered by Memory's search and by BM25: each a ranked list of at most <see cref="RecallReport.K"/> distinct message ids.</summary>
public sealed record QuestionOutcome(EvaluationConversation Conversation, EvaluationQuestion Question, IReadOnlyList<string> Memory, IReadOnlyList<string> Bm25, string? Error)
{
    public double MemoryRecall => RecallReport.Recall(Memory, Question.Evidence);
    public double Bm25Recall => RecallReport.Recall(Bm25, Question.Evidence);
}

public sealed record KindRecall(string Kind, int Questions, double Memory, double Bm25);

/// <summary>
/// Recall@10 of message ids: the share of a question's evidence among the first ten distinct ids a ranker returns, averaged over
/// questions, per kind and overall, for Memory beside BM25 over the raw messages. The test and the benchmark both report through here.
/// </summary>
public static class RecallReport
{
    public const int K = 10;
    public const int SearchK = 25;
    public const string All = "all";

    /// <summary>Memory as a ranker: <c>GET /memory/search?k=25</c>, the results' source message ids in rank order, each once.</summary>
    public static Func<string, Task<IReadOnlyList<string>>> MemorySearch(HttpClient client, CancellationToken cancellationToken = default) => async question =>
    {
        using var response = await client.GetAsync($"/memory/search?q={Uri.EscapeDataString(question)}&k={SearchK}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"search answered {(int)response.StatusCode}: {body}");
        }
        using var json = JsonDocument.Parse(body);
        return json.RootElement.EnumerateArray()
            .SelectMany(item => item.GetProperty("sourceMessageIds").EnumerateArray().Select(id => id.GetString()!))
            .Distinct(StringComparer.Ordinal).ToList();
    };

    /// <summary>
    /// The whole evaluation: each conversation imported for a new user (<paramref name="clientForNewUser"/>) and its questions asked; a
    /// table per conversation, per language and for all, with the import times, written as it goes.
    /// </summary>
    public static async Task<IReadOnlyList<QuestionOutcome>> RunAsync(
        IReadOnlyList<EvaluationConversation> conversations, Func<HttpClient> clientForNewUser, TimeSpan sessionTimeout, Action<string> write,
        bool writeMisses = true)
    {
        var outcomes = new List<QuestionOutcome>();
        var importing = TimeSpan.Zero;
        foreach (var conversation in conversations)
        {
            using var client = clientForNewUser();
            var watch = Stopwatch.StartNew();
            await ConversationImporter.ImportAsync(client, conversation, sessionTimeout);
            importing += watch.Elapsed;
            var results = await EvaluateAsync(conversation, MemorySearch(client));
            outcomes.AddRange(results);
            write(Table($"{conversation.Id} ({conversation.Language}): {Imported(conversation.Messages.Count(), conversation.Sessions.Count, watch.Elapsed)}", results));
        }
        foreach (var language in outcomes.GroupBy(o => o.Conversation.Language).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            write(Table($"all '{language.Key}' conversations ({language.Select(o => o.Conversation.Id).Distinct().Count()})", language));
        }
        write(Table($"all conversations ({conversations.Count}): {Imported(conversations.Sum(c => c.Messages.Count()), conversations.Sum(c => c.Sessions.Count), importing)}", outcomes));
        if (writeMisses && Environment.GetEnvironmentVariable(MissesVariable) is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, Misses(outcomes));
        }
        return outcomes;
    }

    /// <summary>
    /// Where to write every question whose evidence Memory missed, with what it found instead (for looking into a figure). Not for the
    /// held-out set: what its misses say must not become a change.
    /// </summary>
    public const string MissesVariable = "AIMI_MEMORY_EVAL_MISSES";

    private static string Misses(IEnumerable<QuestionOutcome> outcomes)
    {
        var text = new StringBuilder();
        foreach (var o in outcomes.Where(o => o.MemoryRecall < 1))
        {
            var said = o.Conversation.Sessions.SelectMany(s => s.Messages).ToDictionary(m => m.Id, m => $"{m.Speaker}: {m.Text}", StringComparer.Ordinal);
            text.AppendLine(CultureInfo.InvariantCulture, $"## [{o.Question.Kind}] {o.Question.Question}  (memory {o.MemoryRecall:F2}, BM25 {o.Bm25Recall:F2})");
            foreach (var id in o.Question.Evidence)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  gold {id}: {said.GetValueOrDefault(id)}");
            }
            foreach (var id in o.Memory.Take(5))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  got  {id}: {said.GetValueOrDefault(id, "(not a message)")}");
            }
        }
        return text.ToString();
    }

    private static string Imported(int messages, int sessions, TimeSpan elapsed) => string.Create(CultureInfo.InvariantCulture,
        $"{messages} messages in {sessions} sessions imported in {elapsed.TotalSeconds:F1} s, {messages / Math.Max(elapsed.TotalSeconds, 1e-3):F1} messages/s");

    /// <summary>Every question of the conversation through both rankers; a failing Memory call is recorded (recall 0), not thrown.</summary>
    public static async Task<IReadOnlyList<QuestionOutcome>> EvaluateAsync(EvaluationConversation conversation, Func<string, Task<IReadOnlyList<string>>> memory)
    {
        var bm25 = Bm25.Over(conversation);
        var outcomes = new List<QuestionOutcome>();
        foreach (var question in conversation.Questions)
        {
            IReadOnlyList<string> found = [];
            string? error = null;
            try
            {
                found = (await memory(question.Question)).Distinct(StringComparer.Ordinal).Take(K).ToList();
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException or KeyNotFoundException or TaskCanceledException)
            {
                error = $"{conversation.Id}: \"{question.Question}\": {e.GetType().Name}: {e.Message}";
            }
            outcomes.Add(new QuestionOutcome(conversation, question, found, bm25.Top(question.Question, K), error));
        }
        return outcomes;
    }

    public static double Recall(IReadOnlyList<string> ranked, IReadOnlyList<string> evidence) =>
        evidence.Count == 0 ? 0 : evidence.Count(id => ranked.Take(K).Contains(id, StringComparer.Ordinal)) / (double)evidence.Count;

    /// <summary>A row per kind present, in <see cref="EvaluationSet.Kinds"/> order, then <see cref="All"/>.</summary>
    public static IReadOnlyList<KindRecall> Summarise(IEnumerable<QuestionOutcome> outcomes)
    {
        var list = outcomes.ToList();
        var rows = EvaluationSet.Kinds
            .Select(kind => Row(kind, list.Where(o => o.Question.Kind == kind).ToList()))
            .Where(r => r.Questions > 0).ToList();
        rows.Add(Row(All, list));
        return rows;
    }

    public static KindRecall Row(string kind, IReadOnlyList<QuestionOutcome> outcomes) => outcomes.Count == 0
        ? new KindRecall(kind, 0, 0, 0)
        : new KindRecall(kind, outcomes.Count, outcomes.Average(o => o.MemoryRecall), outcomes.Average(o => o.Bm25Recall));

    public static string Table(string title, IEnumerable<QuestionOutcome> outcomes)
    {
        var table = new StringBuilder();
        table.AppendLine(title);
        table.AppendLine(CultureInfo.InvariantCulture, $"  {"kind",-10} {"questions",9} {"memory@" + K,10} {"BM25@" + K,10}");
        foreach (var row in Summarise(outcomes))
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"  {row.Kind,-10} {row.Questions,9} {row.Memory,10:F3} {row.Bm25,10:F3}");
        }
        return table.ToString();
    }
}
