using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Clients;
using Microsoft.SemanticKernel;

namespace Aimi.Chat.Api.Orchestration;

/// <summary>
/// The memory tools: <c>search_memory</c> reads what the user told before (Memory's search, the user's own token), and
/// <c>forget_memory</c> deletes what the user asks to forget through the same path as <c>DELETE /memory/items/{id}</c>.
/// A forget request is itself never kept: the turn's message is dropped from memory, and the turn is marked so that
/// neither it nor the reply becomes a memory (<see cref="OrchestratorAnswer.Remember"/>).
/// </summary>
public sealed partial class AssistantToolsPlugin
{
    /// <summary>How many memories a search returns to the model, and how many a forget request looks at.</summary>
    public const int SearchK = 8;

    /// <summary>How many memories a search asks Memory for, before the assistant's lines and the user's questions are left out.</summary>
    public const int SearchPool = 24;

    /// <summary>
    /// How many memories a forget request looks through for those that say what is to be forgotten: as many as a search's pool,
    /// since a match brings its conversation's neighbours into the ranking, and a line that repeats the thing ("Here's what you
    /// told me: … a dog called Rex") must still be among those looked at.
    /// </summary>
    public const int ForgetK = SearchPool;

    [KernelFunction(AssistantTools.SearchMemory), Description(AssistantTools.Descriptions.SearchMemory)]
    public Task<string> SearchMemoryAsync(
        Kernel kernel,
        [Description(AssistantTools.Descriptions.Query)] string query,
        [Description(AssistantTools.Descriptions.FromDate)] string? from = null,
        [Description(AssistantTools.Descriptions.ToDate)] string? to = null,
        CancellationToken cancellationToken = default) =>
        ToolTurn.Of(kernel).RecordMemoryAsync(AssistantTools.SearchMemory, new() { ["query"] = query, ["from"] = from, ["to"] = to }, async t =>
        {
            if (string.IsNullOrWhiteSpace(query))
            {
                throw new ToolArgumentException("'query' is required.");
            }
            var (first, last) = (OptionalDate(from), OptionalDate(to));
            if (first > last)
            {
                throw new ToolArgumentException("'to' must not be before 'from'.");
            }
            var found = await t.Memory.SearchAsync(t.Turn.Token, query, first, last, SearchPool, cancellationToken);
            // The assistant's own past lines are not knowledge about the user (and may repeat what has changed since), nor are the
            // user's questions: a question is most like other questions, so they are asked for in a larger pool and left out.
            var items = found.Where(SaidByTheUser).Take(SearchK).Select(m => Item(m, t.Zone)).ToList();
            return (Serialize(new { items }), null);
        });

    [KernelFunction(AssistantTools.ForgetMemory), Description(AssistantTools.Descriptions.ForgetMemory)]
    public Task<string> ForgetMemoryAsync(
        Kernel kernel,
        [Description(AssistantTools.Descriptions.ForgetQuery)] string? query = null,
        [Description(AssistantTools.Descriptions.MemoryIds)] string? memoryIds = null,
        CancellationToken cancellationToken = default) =>
        ToolTurn.Of(kernel).RecordMemoryAsync(AssistantTools.ForgetMemory, new() { ["query"] = query, ["memoryIds"] = memoryIds }, async t =>
        {
            t.Forgetting = true;
            // The request ("forget that I live in Berlin") says what it is about: it is never kept either.
            await t.Memory.ForgetMessageAsync(t.Turn.Token, t.Turn.Message.Id, cancellationToken);
            if (!string.IsNullOrWhiteSpace(memoryIds))
            {
                var ids = ParseIds(memoryIds);
                var forgotten = 0;
                foreach (var id in ids)
                {
                    forgotten += await t.Memory.DeleteItemAsync(t.Turn.Token, id, cancellationToken) ? 1 : 0;
                }
                return (Serialize(new { forgotten }), null);
            }
            if (string.IsNullOrWhiteSpace(query))
            {
                throw new ToolArgumentException("Give 'query' (what to forget) or 'memoryIds'.");
            }

            var found = await t.Memory.SearchAsync(t.Turn.Token, query, null, null, ForgetK, cancellationToken);
            var terms = MemoryMatch.Parse(query);
            var matching = found.Where(m => MemoryMatch.Score(terms, m.Content) is not null).ToList();
            if (matching.Count == 0)
            {
                return (Serialize(new { forgotten = 0, candidates = Array.Empty<object>() }), null);
            }
            if (Things(matching) > 1)
            {
                // Several different things match: the user chooses (the next turn's prompt lists them as "Confirm forgetting:").
                var candidates = matching.Select(m => new ForgetCandidate(m.Id, m.Content)).ToList();
                return (Serialize(new { forgotten = 0, needsConfirmation = true, candidates = matching.Select(m => Item(m, t.Zone)) }), candidates);
            }
            var count = 0;
            foreach (var item in matching)
            {
                count += await t.Memory.DeleteItemAsync(t.Turn.Token, item.Id, cancellationToken) ? 1 : 0;
            }
            return (Serialize(new { forgotten = count }), null);
        });

    /// <summary>
    /// How many different things the user said among the matches: a sentence and the fact or summary drawn from it cite the
    /// same message and are one thing; the assistant's own lines, summaries and questions go with the rest and count only when alone.
    /// </summary>
    internal static int Things(IReadOnlyList<MemoryItemView> matching)
    {
        var said = matching.Where(m => SaidByTheUser(m) && m.Kind != "summary").ToList();
        if (said.Count == 0)
        {
            return matching.Count == 0 ? 0 : 1;
        }
        var groups = new List<HashSet<string>>();
        foreach (var item in said)
        {
            var sources = item.SourceMessageIds is { Count: > 0 } ids ? ids.ToHashSet(StringComparer.Ordinal) : [item.Id.ToString("D")];
            var joined = groups.Where(g => g.Overlaps(sources)).ToList();
            foreach (var group in joined)
            {
                sources.UnionWith(group);
                groups.Remove(group);
            }
            groups.Add(sources);
        }
        return groups.Count;
    }

    private static object Item(MemoryItemView m, TimeZoneInfo zone) => new
    {
        id = m.Id,
        kind = m.Kind,
        content = m.Content,
        said = m.ValidFrom is { } at ? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
        about = m.Predicate,
        role = m.Role,
    };

    private static List<Guid> ParseIds(string value)
    {
        var ids = new List<Guid>();
        foreach (var part in value.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            ids.Add(Guid.TryParse(part.Trim('[', ']', '"'), out var id) ? id : throw new ToolArgumentException($"'{part}' is not a memory id."));
        }
        return ids.Count <= ForgetK ? ids : throw new ToolArgumentException($"At most {ForgetK} memories at once.");
    }

    // What the user said about themselves: not the assistant's own lines, nor the user's questions ("what's my dog's name?").
    private static bool SaidByTheUser(MemoryItemView m) => m.Role != "assistant" && !m.Content.TrimEnd().EndsWith('?');
}
