using Aimi.Contracts.Goals;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Aimi.AI;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Clients;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Sessions;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Aimi.Chat.Api.Orchestration;

/// <summary>Everything one turn needs: who, with which token, in which session, what was said and known.</summary>
/// <param name="Recalled">What Memory found for this message (<c>POST /memory/context</c> with the message); null when Memory did not answer in time.</param>
public sealed record TurnContext(
    string UserId, string Token, Guid SessionId, ChatMessage Message, StartingContext Context, IReadOnlyList<CachedMessage> History, bool NewSession,
    MemoryContextView? Recalled = null);

/// <param name="Remember">False for a turn that asked to forget something: neither its message nor the reply becomes a memory.</param>
public sealed record OrchestratorAnswer(string Text, bool EndSession, IReadOnlyList<ToolCallRecord> ToolCalls, bool ModelUnavailable, bool Remember = true)
{
    /// <summary>The message metadata: what the turn did (tool calls) and the records it touched.</summary>
    public string MetadataJson() => JsonSerializer.Serialize(new
    {
        toolCalls = ToolCalls,
        linkedEventIds = ToolCalls.Where(c => c.EventId is not null).Select(c => c.EventId).Distinct(),
        linkedGoalIds = ToolCalls.Where(c => c.GoalId is not null).Select(c => c.GoalId).Distinct(),
        linkedHabitIds = ToolCalls.Where(c => c.HabitId is not null).Select(c => c.HabitId).Distinct(),
        modelUnavailable = ModelUnavailable ? true : (bool?)null,
        remember = Remember ? (bool?)null : false,
    }, JsonSerializerOptions.Web);

    /// <summary>Whether a message's metadata lets Memory keep it (a forget turn's messages carry <c>"remember": false</c>).</summary>
    public static bool Remembers(string? metadata)
    {
        if (string.IsNullOrEmpty(metadata) || !metadata.Contains("\"remember\"", StringComparison.Ordinal))
        {
            return true;
        }
        using var document = JsonDocument.Parse(metadata);
        return !(document.RootElement.TryGetProperty("remember", out var remember) && remember.ValueKind == JsonValueKind.False);
    }
}

/// <summary>
/// Builds the system prompt from the starting context (portrait, goals, habits, the coming week, pending items first),
/// replays the session's recent messages, and lets the model answer with automatic function calling over the user's
/// plan. When the model is unreachable the user gets a clear line and the conversation goes on.
/// </summary>
public sealed partial class ConversationOrchestrator(Kernel kernel, GoalsClient goals, MemoryClient memory, TimeProvider time, ILogger<ConversationOrchestrator> logger)
{
    public async Task<OrchestratorAnswer> ReplyAsync(TurnContext turn, Func<string, Task>? onDelta, CancellationToken cancellationToken)
    {
        var turnKernel = kernel.Clone();
        var tools = new ToolTurn(goals, memory, turn, cancellationToken);
        tools.JoinTo(turnKernel);
        turnKernel.AutoFunctionInvocationFilters.Add(ToolRoundLimit.Instance);
        var history = BuildHistory(turn);
        var chat = turnKernel.GetRequiredService<IChatCompletionService>();
        var settings = AssistantTools.AutoInvokeSettings();

        try
        {
            string text;
            if (onDelta is null)
            {
                text = (await chat.GetChatMessageContentAsync(history, settings, turnKernel, cancellationToken)).Content ?? "";
            }
            else
            {
                var reply = new StringBuilder();
                await foreach (var chunk in chat.GetStreamingChatMessageContentsAsync(history, settings, turnKernel, cancellationToken))
                {
                    if (!string.IsNullOrEmpty(chunk.Content))
                    {
                        reply.Append(chunk.Content);
                        await onDelta(chunk.Content);
                    }
                }
                text = reply.ToString();
            }
            return new OrchestratorAnswer(text.Trim().Length == 0 ? Fallback(turn) : text.Trim(), tools.EndRequested, tools.Calls, false, !tools.Forgetting);
        }
        catch (AiUnavailableException e)
        {
            LogModelUnavailable(logger, e, turn.SessionId);
            var text = AssistantPrompt.UnavailableReply(turn.Message.Content);
            if (onDelta is not null)
            {
                await onDelta(text);
            }
            return new OrchestratorAnswer(text, tools.EndRequested, tools.Calls, true, !tools.Forgetting);
        }
    }

    private ChatHistory BuildHistory(TurnContext turn)
    {
        var history = new ChatHistory(SystemPrompt(turn));
        foreach (var message in turn.History)
        {
            if (message.Role == MessageRole.User)
            {
                history.AddUserMessage(message.Content);
            }
            else
            {
                history.AddAssistantMessage(message.Content);
            }
        }
        history.AddUserMessage(turn.Message.Content);
        return history;
    }

    internal string SystemPrompt(TurnContext turn)
    {
        var context = turn.Context;
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(context.TimeZone, out var found) ? found : TimeZoneInfo.Utc;
        var prompt = new StringBuilder();
        prompt.AppendLine("You are Aimi, a warm, concise personal assistant who remembers the user and helps them plan goals, habits, tasks and events.");
        prompt.AppendLine("Use the tools to write down what the user agrees to; new items stay unconfirmed until the user says yes. Reply in the user's language.");
        prompt.AppendLine(AssistantPrompt.CurrentTimeLine(time.GetUtcNow(), zone));
        prompt.AppendLine(CultureInfo.InvariantCulture, $"User: {context.DisplayName ?? "(no name given)"}, locale {context.Locale}, timezone {zone.Id}.");
        var pendingItems = PendingItems(turn, zone).ToList();
        // A session a follow-up or reminder started is still new to the user until they have said something in it.
        var opening = turn.NewSession || !turn.History.Any(m => m.Role == MessageRole.User);
        if (opening && pendingItems.Count > 0)
        {
            prompt.AppendLine("This is a new conversation: before anything else, ask about the pending items below (ask how the past ones went first, then confirm the unconfirmed).");
        }
        if (pendingItems.Any(i => i.Status == EventStatuses.AwaitingFeedback))
        {
            prompt.AppendLine($"When the user tells how an awaiting_feedback item went, call {AssistantTools.RecordFeedback} with outcome done or missed; \"partly\" is done with a note saying what was left.");
        }
        prompt.Append(AssistantPrompt.ActiveGoalsBlock(context.Goals.Select(g => (g.Id, g.Title, g.Importance, g.DueDate))));
        AppendList(prompt, "Habits:", context.Habits.Select(h => $"- [{h.Id}] {h.Title} (cron {h.Cadence}, streak {h.Streak})"));
        AppendList(prompt, "Coming up (7 days):", context.Upcoming.Select(i => $"- [{i.Event.Id}] {i.Event.Title} ({i.Event.Status}, {i.LocalStart ?? i.LocalDue ?? "no time"})"));
        var pending = AssistantPrompt.PendingItemsBlock(pendingItems, zone);
        if (pending.Length > 0)
        {
            prompt.AppendLine(pending.TrimEnd());
        }
        AppendMemory(prompt, context.Memory, turn.Recalled, zone);
        var forget = AssistantPrompt.ForgetCandidatesBlock(ForgetCandidates(turn));
        if (forget.Length > 0)
        {
            prompt.AppendLine($"You asked whether to forget these; if the user agrees, call {AssistantTools.ForgetMemory} with all their ids as memoryIds:");
            prompt.Append(forget);
        }
        return prompt.ToString();
    }

    /// <summary>
    /// What memory found, from the session's start and for this message: the portrait, a <c>Remember:</c> block of facts and
    /// the memories closest to the message (each once), similar past situations, and the graph around the active goals.
    /// </summary>
    private static void AppendMemory(StringBuilder prompt, MemoryContextView? start, MemoryContextView? recalled, TimeZoneInfo zone)
    {
        prompt.AppendLine($"Memory: the Remember block below is what the user told you before, in their own words (\"I\" is the user), each with its kind and the day it was said; it holds only what is still true. Answer questions about the user from it and name when they told you when that helps; when it does not answer, call {AssistantTools.SearchMemory}; if that finds nothing, say you don't know yet — never guess. When the user asks you to forget something, call {AssistantTools.ForgetMemory}. Acknowledge what the user tells you about their life briefly, showing what you understood.");
        var latest = recalled ?? start;
        if (latest is null)
        {
            return;
        }
        AppendList(prompt, "What you remember about the user:", new[] { latest.Summary, latest.Mood is null ? null : $"Recent mood: {latest.Mood}" }
            .Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => $"- {l}"));
        var remembered = Facts(latest, zone)
            .Concat((recalled?.Memories ?? []).Where(m => m.Kind != "summary" && m.Role != "assistant").Select(m => Remembered(m, zone)))
            .Concat(start is null ? [] : Facts(start, zone))
            .Where(r => !string.IsNullOrWhiteSpace(r.Content));
        prompt.Append(AssistantPrompt.RememberBlock(remembered));
        var similar = (recalled?.SimilarSituations ?? []).Concat(start?.SimilarSituations ?? []);
        AppendList(prompt, "Similar past situations:", similar.Select(OneLine).Distinct().Take(5).Select(s => $"- {s}"));
        var graph = recalled?.Goals is { Count: > 0 } recalledGoals ? recalledGoals : start?.Goals ?? [];
        AppendList(prompt, "Around the active goals (memory graph; depth 0 is the goal):", graph
            .OrderBy(n => n.Depth ?? 0).ThenByDescending(n => n.Weight)
            .Select(n => $"- {n.Kind} {OneLine(n.Label)} (depth {n.Depth ?? 0}, weight {n.Weight.ToString("0.##", CultureInfo.InvariantCulture)})"));
    }

    // A context's facts with their days when Memory sends them (factItems), else as plain lines.
    private static IEnumerable<RememberedItem> Facts(MemoryContextView context, TimeZoneInfo zone) =>
        context.FactItems is { Count: > 0 } items
            ? items.Select(f => Remembered(f, zone))
            : (context.Facts ?? []).Select(f => new RememberedItem(f, RememberedItem.Kinds.Fact));

    private static RememberedItem Remembered(MemoryItemView m, TimeZoneInfo zone) => new(
        m.Content, m.Kind, m.ValidFrom is { } at ? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime) : null, m.Predicate);

    /// <summary>What the previous reply asked whether to forget, when the user has not answered yet (this message is the answer).</summary>
    internal static IReadOnlyList<ForgetCandidate> ForgetCandidates(TurnContext turn)
    {
        var last = turn.History.Count == 0 ? null : turn.History[^1];
        if (last is null || last.Role != MessageRole.Assistant || !last.Metadata.Contains(AssistantTools.ForgetMemory, StringComparison.Ordinal))
        {
            return [];
        }
        using var document = JsonDocument.Parse(last.Metadata);
        if (!document.RootElement.TryGetProperty("toolCalls", out var calls))
        {
            return [];
        }
        return calls.EnumerateArray()
            .Where(c => c.TryGetProperty("forgetCandidates", out var found) && found.ValueKind == JsonValueKind.Array)
            .SelectMany(c => c.GetProperty("forgetCandidates").Deserialize<List<ForgetCandidate>>(JsonSerializerOptions.Web)!)
            .ToList();
    }

    // Memory holds user text: one line per item keeps the prompt's blocks apart.
    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>
    /// What waits on the user: items this session's tools touched (latest state wins, newest first), then those pending
    /// when the session started. The starting context is a snapshot; this keeps "yes"/"it" pointing at the right item.
    /// </summary>
    internal static IEnumerable<PendingItem> PendingItems(TurnContext turn, TimeZoneInfo zone)
    {
        var touched = new Dictionary<Guid, ItemState>();
        foreach (var message in turn.History.Where(m => m.Role == MessageRole.Assistant))
        {
            foreach (var item in ItemsIn(message.Metadata))
            {
                touched.Remove(item.Id);
                touched[item.Id] = item; // re-inserted: insertion order is recency
            }
        }
        var fromSession = touched.Values.Reverse()
            .Where(i => i.Status is EventStatuses.PendingConfirmation or EventStatuses.AwaitingFeedback)
            .Select(i => new PendingItem(i.Id, i.Title, i.Status, LocalTime(i.When, zone)));
        var fromStart = turn.Context.Pending
            .Where(i => !touched.ContainsKey(i.Event.Id))
            .Select(i => new PendingItem(i.Event.Id, i.Event.Title, i.Event.Status, LocalTime(i.Event.StartsAt ?? i.Event.DueAt, zone)));
        return fromSession.Concat(fromStart);
    }

    // The items a message left behind: its tool calls' results, or the event a stored follow-up asks about.
    private static List<ItemState> ItemsIn(string metadata)
    {
        using var document = JsonDocument.Parse(metadata);
        if (document.RootElement.TryGetProperty("followUp", out var followUp) && followUp.ValueKind == JsonValueKind.Object)
        {
            return [followUp.Deserialize<ItemState>(JsonSerializerOptions.Web)!];
        }
        if (!document.RootElement.TryGetProperty("toolCalls", out var calls))
        {
            return [];
        }
        return calls.EnumerateArray()
            .Where(c => c.TryGetProperty("item", out var item) && item.ValueKind == JsonValueKind.Object)
            .Select(c => c.GetProperty("item").Deserialize<ItemState>(JsonSerializerOptions.Web)!)
            .ToList();
    }

    private static void AppendList(StringBuilder prompt, string header, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        if (list.Count == 0)
        {
            return;
        }
        prompt.AppendLine(header);
        foreach (var line in list)
        {
            prompt.AppendLine(line);
        }
    }

    private static DateTimeOffset? LocalTime(DateTimeOffset? instant, TimeZoneInfo zone) => instant is { } i ? TimeZoneInfo.ConvertTime(i, zone) : null;

    private static string Fallback(TurnContext turn) =>
        turn.Context.Locale.StartsWith("ru", StringComparison.OrdinalIgnoreCase) || turn.Message.Content.Any(c => c is >= 'А' and <= 'я') ? "Хорошо." : "Okay.";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chat model unavailable in session {SessionId}")]
    private static partial void LogModelUnavailable(ILogger logger, Exception exception, Guid sessionId);
}

/// <summary>Stops a turn after a few rounds of tool calls, so a model that keeps calling (say, retrying a failing tool) cannot hold a reply for long.</summary>
internal sealed class ToolRoundLimit : IAutoFunctionInvocationFilter
{
    public const int MaxRounds = 5;
    public static readonly ToolRoundLimit Instance = new();

    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        await next(context);
        if (context.RequestSequenceIndex >= MaxRounds - 1)
        {
            context.Terminate = true;
        }
    }
}
