using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aimi.Contracts.Memory;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using OpenAI.Chat;

namespace Aimi.Memory.Api.Domain;

/// <summary>
/// Extraction by an OpenAI-compatible model: one structured call per conversation (<c>response_format</c> =
/// a strict JSON schema). What comes back is checked, not trusted: unknown message ids, moods and empty facts are
/// dropped, a fact's time is that of its first source message, and the summary cites the lines its sentences name.
/// </summary>
public sealed class OpenAiExtractor(IChatCompletionService chat) : IConversationExtractor
{
    public const string SchemaName = "memory_extraction";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly string[] KnownMoods = [Moods.Positive, Moods.Negative, Moods.Stressed, Moods.Tired, Moods.Neutral];

    internal const string Schema = """
        {
          "type": "object",
          "additionalProperties": false,
          "required": ["summary", "mood", "intents", "topics", "facts"],
          "properties": {
            "summary": {
              "type": "array",
              "description": "Two or three sentences: what the conversation was about, from the user's side.",
              "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["sentence", "sourceMessageIds"],
                "properties": {
                  "sentence": { "type": "string" },
                  "sourceMessageIds": { "type": "array", "items": { "type": "string" }, "description": "The ids of the messages this sentence summarises." }
                }
              }
            },
            "mood": { "type": "string", "enum": ["positive", "negative", "stressed", "tired", "neutral"] },
            "intents": { "type": "array", "items": { "type": "string" } },
            "topics": { "type": "array", "items": { "type": "string", "enum": ["work", "health", "family", "study", "finance", "sport", "home", "social", "plans"] } },
            "facts": {
              "type": "array",
              "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["subject", "predicate", "object", "statement", "sourceMessageIds"],
                "properties": {
                  "subject": { "type": "string", "description": "\"user\" for the user; otherwise the name of the speaker or of the person the fact is about." },
                  "predicate": { "type": "string", "description": "snake_case: lives_in, works_at, works_as, studies_at, studies, allergic_to, name_is, relationship_status, preparing_for, likes, dislikes, feels, has_relative, or another short verb phrase." },
                  "object": { "type": "string" },
                  "statement": { "type": "string", "description": "The fact as one short first-person sentence in the user's language." },
                  "sourceMessageIds": { "type": "array", "items": { "type": "string" } }
                }
              }
            }
          }
        }
        """;

    private const string Instructions = """
        You extract long-term memory from a conversation between a user and their assistant.
        Return facts the user (or a named speaker) states about themselves in the first person, each with the ids of the
        messages it comes from. A fact about another person named in the conversation ("my sister Anna lives in Paris")
        has that person's name as its subject (Anna, lives_in, Paris); the user's tie to them is a has_relative fact of
        the user ("sister Anna"). Use the listed predicates where they fit. Do not invent facts; ignore the assistant's
        lines except as context. The summary is two or three sentences, each with the ids of the messages it summarises.
        Write the summary and statements in the language the user wrote in.
        """;

    public async Task<Extraction> ExtractAsync(IReadOnlyList<ConversationLine> lines, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var transcript = new StringBuilder();
        foreach (var line in lines)
        {
            transcript.Append('[').Append(line.Id).Append("] ").Append(line.Speaker ?? line.Role).Append(": ").AppendLine(line.Content);
        }

        var history = new ChatHistory(Instructions);
        history.AddUserMessage(transcript.ToString());
        var settings = new OpenAIPromptExecutionSettings
        {
            Temperature = 0,
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat(SchemaName, BinaryData.FromString(Schema), jsonSchemaIsStrict: true),
        };
        var reply = await chat.GetChatMessageContentAsync(history, settings, cancellationToken: cancellationToken);
        var answer = JsonSerializer.Deserialize<Answer>(reply.Content ?? "", Json)
            ?? throw new InvalidOperationException("The model returned no extraction.");
        return ToExtraction(answer, lines);
    }

    private static Extraction ToExtraction(Answer answer, IReadOnlyList<ConversationLine> lines)
    {
        var byId = lines.GroupBy(l => l.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var facts = new List<Fact>();
        foreach (var fact in answer.Facts ?? [])
        {
            var sources = (fact.SourceMessageIds ?? []).Where(byId.ContainsKey).Distinct(StringComparer.Ordinal).ToList();
            if (sources.Count == 0 || string.IsNullOrWhiteSpace(fact.Predicate) || string.IsNullOrWhiteSpace(fact.Value) || string.IsNullOrWhiteSpace(fact.Statement))
            {
                continue; // a fact nobody said is a hallucination
            }
            var subject = string.IsNullOrWhiteSpace(fact.Subject) || fact.Subject.Equals(Fact.TheUser, StringComparison.OrdinalIgnoreCase) ? Fact.TheUser : fact.Subject.Trim();
            facts.Add(new Fact(subject, fact.Predicate.Trim().ToLowerInvariant().Replace(' ', '_'), fact.Value.Trim(), fact.Statement.Trim(), sources,
                sources.Min(id => byId[id].At)));
        }

        var summary = (answer.Summary ?? []).Where(s => !string.IsNullOrWhiteSpace(s.Sentence)).ToList();
        return new Extraction(
            string.Join(' ', summary.Select(s => s.Sentence!.Trim())),
            facts,
            (answer.Intents ?? []).Where(i => !string.IsNullOrWhiteSpace(i)).Select(i => i.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
            KnownMoods.Contains(answer.Mood) ? answer.Mood : null,
            (answer.Topics ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList())
        {
            NarrativeSourceIds = summary.SelectMany(s => s.SourceMessageIds ?? []).Where(byId.ContainsKey).Distinct(StringComparer.Ordinal).ToList(),
        };
    }

    private sealed record Answer(
        [property: JsonPropertyName("summary")] List<AnswerSentence>? Summary,
        [property: JsonPropertyName("mood")] string? Mood,
        [property: JsonPropertyName("intents")] List<string>? Intents,
        [property: JsonPropertyName("topics")] List<string>? Topics,
        [property: JsonPropertyName("facts")] List<AnswerFact>? Facts);

    private sealed record AnswerSentence(string? Sentence, List<string>? SourceMessageIds);

    private sealed record AnswerFact(string? Subject, string? Predicate, [property: JsonPropertyName("object")] string? Value, string? Statement, List<string>? SourceMessageIds);
}
