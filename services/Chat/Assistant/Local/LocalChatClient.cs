using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Aimi.Chat.Api.Assistant.Local;

/// <summary>
/// The offline chat model: a deterministic intent-and-slot assistant for English and Russian that behaves like an LLM
/// towards Semantic Kernel. For a user message with an intent it answers with a <see cref="FunctionCallContent"/> for one
/// of the <see cref="AssistantTools"/> offered in <see cref="ChatOptions.Tools"/>; after the tools ran (the function
/// invocation layer sends back <see cref="FunctionResultContent"/>) it writes a short reply from their results. The user's
/// time comes from the system prompt's <see cref="AssistantPrompt.CurrentTimeLine"/>, never from the clock; "it" is the
/// most recent item in this conversation's tool traffic, else one of the prompt's <see cref="AssistantPrompt.PendingItemsHeader"/>.
/// </summary>
public sealed partial class LocalChatClient : IChatClient
{
    public const string ModelId = "aimi-local";

    private static readonly HashSet<string> EventTools =
    [
        AssistantTools.CreateEvent, AssistantTools.CreateTask, AssistantTools.ConfirmEvent, AssistantTools.CompleteTask,
        AssistantTools.PostponeEvent, AssistantTools.CancelEvent,
    ];

    private readonly ChatClientMetadata _metadata = new("aimi-local", null, ModelId);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var message = Respond(messages.ToList(), options);
        var response = new ChatResponse(message)
        {
            ModelId = ModelId,
            ResponseId = message.MessageId,
            FinishReason = message.Contents.OfType<FunctionCallContent>().Any() ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
        };
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var message = Respond(messages.ToList(), options);
        var calls = message.Contents.OfType<FunctionCallContent>().ToList();
        if (calls.Count > 0)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, [.. calls])
            {
                MessageId = message.MessageId, ResponseId = message.MessageId, ModelId = ModelId, FinishReason = ChatFinishReason.ToolCalls,
            };
            yield break;
        }

        // Word-sized deltas, like a real model's stream.
        var chunks = ChunkPattern().Split(message.Text).Where(c => c.Length > 0).ToList();
        for (var i = 0; i < chunks.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunks[i])
            {
                MessageId = message.MessageId,
                ResponseId = message.MessageId,
                ModelId = ModelId,
                FinishReason = i == chunks.Count - 1 ? ChatFinishReason.Stop : null,
            };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
    }

    /// <summary>The canonical <see cref="AssistantTools"/> name of a tool as a plugin exposes it (<c>plugin-name</c>, <c>plugin_name</c>), or null.</summary>
    public static string? CanonicalToolName(string? name)
    {
        if (name is null)
        {
            return null;
        }

        foreach (var tool in AssistantTools.All)
        {
            if (name == tool || name.EndsWith("-" + tool, StringComparison.Ordinal) || name.EndsWith("_" + tool, StringComparison.Ordinal)
                || name.EndsWith("." + tool, StringComparison.Ordinal))
            {
                return tool;
            }
        }

        return null;
    }

    private static ChatMessage Respond(List<ChatMessage> messages, ChatOptions? options)
    {
        var system = string.Join('\n', messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        DateTimeOffset? now = AssistantPrompt.TryParseCurrentTime(system, out var parsedNow, out var zone) ? parsedNow : null;
        var pending = AssistantPrompt.ParsePendingItems(system);
        var lastUser = messages.FindLastIndex(m => m.Role == ChatRole.User);
        var userText = lastUser >= 0 ? messages[lastUser].Text : "";
        var language = LocalIntentRecognizer.DetectLanguage(userText);
        var callNames = messages.SelectMany(m => m.Contents.OfType<FunctionCallContent>())
            .GroupBy(c => c.CallId).ToDictionary(g => g.Key, g => g.Last());
        // The user's first words in the session, even when a stored reminder or follow-up came before them.
        var firstTurn = !messages.Take(Math.Max(lastUser, 0)).Any(m => m.Role == ChatRole.User);
        var state = new ConversationState(
            now, zone, pending, LastMentioned(messages, callNames, pending), firstTurn, AssistantPrompt.ParseRemembered(system),
            AssistantPrompt.ParseActiveGoals(system), AssistantPrompt.ParseForgetCandidates(system), userText);
        var messageId = "local-" + messages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var sinceUser = messages.Skip(lastUser + 1).ToList();
        var results = sinceUser.SelectMany(m => m.Contents.OfType<FunctionResultContent>()).ToList();
        if (results.Count > 0)
        {
            var outcomes = results
                .Where(r => callNames.ContainsKey(r.CallId))
                .Select(r => Outcome(callNames[r.CallId], r))
                .Where(o => o is not null)
                .Select(o => o!)
                .ToList();
            return new ChatMessage(ChatRole.Assistant, LocalReplyWriter.Write(outcomes, language, state)) { MessageId = messageId };
        }

        var decision = LocalIntentRecognizer.Decide(userText, state);
        if (decision.Tool is null)
        {
            return new ChatMessage(ChatRole.Assistant, decision.Reply) { MessageId = messageId };
        }

        var offered = options?.Tools?.FirstOrDefault(t => CanonicalToolName(t.Name) == decision.Tool);
        if (offered is null)
        {
            // Without tools (no kernel, or function calling off) the model can still talk, but cannot change the plan.
            var ru = language == ReplyLanguage.Russian;
            var reply = decision.Tool == AssistantTools.EndSession
                ? ru ? "Пока! До связи." : "Bye! Talk to you soon."
                : ru ? "Сейчас у меня нет доступа к вашему плану, поэтому записать это не получится." : "I'd note that, but I can't reach your plan right now.";
            return new ChatMessage(ChatRole.Assistant, reply) { MessageId = messageId };
        }

        var callId = $"call_{messages.Count}_{decision.Tool}";
        var arguments = decision.Arguments.ToDictionary(p => p.Key, p => p.Value);
        return new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(callId, offered.Name, arguments)]) { MessageId = messageId };
    }

    private static ToolOutcome? Outcome(FunctionCallContent call, FunctionResultContent result)
    {
        var tool = CanonicalToolName(call.Name);
        if (tool is null)
        {
            return null;
        }

        var arguments = (IReadOnlyDictionary<string, object?>?)call.Arguments?.ToDictionary(p => p.Key, p => p.Value) ?? new Dictionary<string, object?>();
        var json = ToJson(result.Result);
        var error = result.Exception?.Message
            ?? (json is { ValueKind: JsonValueKind.String } s && s.GetString() is { } text && text.StartsWith("Error:", StringComparison.OrdinalIgnoreCase) ? text[6..].Trim() : null)
            ?? LocalReplyWriter.Text(json, "error");
        return new ToolOutcome(tool, arguments, json, error);
    }

    private static Referent? LastMentioned(List<ChatMessage> messages, Dictionary<string, FunctionCallContent> calls, IReadOnlyList<PendingItem> pending)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            foreach (var content in messages[i].Contents.Reverse())
            {
                if (content is FunctionResultContent result && calls.TryGetValue(result.CallId, out var call)
                    && CanonicalToolName(call.Name) is { } tool && EventTools.Contains(tool) && result.Exception is null)
                {
                    var json = ToJson(result.Result);
                    if (Guid.TryParse(LocalReplyWriter.Text(json, "id"), out var id))
                    {
                        DateTimeOffset? at = DateTimeOffset.TryParse(LocalReplyWriter.Text(json, "startsAt") ?? LocalReplyWriter.Text(json, "dueAt"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed) ? parsed : null;
                        return new Referent(id, LocalReplyWriter.Text(json, "title"), at, LocalReplyWriter.Text(json, "status"));
                    }
                }
                else if (content is FunctionCallContent fc && fc.Arguments?.TryGetValue(AssistantTools.Parameters.EventId, out var raw) == true
                    && Guid.TryParse(raw is JsonElement { ValueKind: JsonValueKind.String } e ? e.GetString() : raw?.ToString(), out var eventId))
                {
                    var known = pending.FirstOrDefault(p => p.Id == eventId);
                    return new Referent(eventId, known?.Title, known?.LocalTime, known?.Status);
                }
            }
        }

        return null;
    }

    private static JsonElement? ToJson(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case JsonElement { ValueKind: JsonValueKind.String } element:
                return TryParse(element.GetString()) ?? element;
            case JsonElement element:
                return element;
            case string text:
                return TryParse(text) ?? JsonSerializer.SerializeToElement(text, AIJsonUtilities.DefaultOptions);
            default:
                try
                {
                    return JsonSerializer.SerializeToElement(value, value.GetType(), AIJsonUtilities.DefaultOptions);
                }
                catch (NotSupportedException)
                {
                    return JsonSerializer.SerializeToElement(value.ToString(), AIJsonUtilities.DefaultOptions);
                }
        }
    }

    private static JsonElement? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.TrimStart()[0] is not ('{' or '['))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"(?<=\s)")]
    private static partial Regex ChunkPattern();
}
