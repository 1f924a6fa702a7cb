using System.Text.Json;
using Aimi.Memory.Api.Endpoints;

namespace Aimi.Memory.Tests.Evaluation;

/// <summary>One evaluation file: a long conversation between two people, in sessions, and questions whose answers it holds.</summary>
public sealed record EvaluationConversation(
    string Id, string Language, IReadOnlyList<string> Speakers, IReadOnlyList<EvaluationSession> Sessions, IReadOnlyList<EvaluationQuestion> Questions)
{
    public IEnumerable<EvaluationMessage> Messages => Sessions.SelectMany(s => s.Messages);
}

public sealed record EvaluationSession(string Id, DateTimeOffset StartedAt, IReadOnlyList<EvaluationMessage> Messages)
{
    /// <summary>Messages are a minute apart, from the session's start.</summary>
    public DateTimeOffset TimeOf(int index) => StartedAt.AddMinutes(index);
}

public sealed record EvaluationMessage(string Id, string Speaker, string Text);

/// <param name="Evidence">The ids of the messages that together hold the answer.</param>
public sealed record EvaluationQuestion(string Kind, string Question, string Answer, IReadOnlyList<string> Evidence);

public static class EvaluationSet
{
    public static readonly IReadOnlyList<string> Kinds = ["single", "multi", "temporal", "inference"];

    /// <summary>Points the test and the benchmark at another folder of files (a sample, a new set) instead of <c>Evaluation/Data</c>.</summary>
    public const string FolderVariable = "AIMI_MEMORY_EVAL_DATA";

    /// <summary>The folder (under <c>Evaluation</c>) of the conversations retrieval is tuned on.</summary>
    public const string TunedFolderName = "Data";

    /// <summary>The folder beside <see cref="TunedFolderName"/> of conversations retrieval was never tuned on: only measured, never looked into for ideas.</summary>
    public const string HeldOutFolderName = "HeldOut";

    // Missing, null or misspelt fields fail the load, naming the file, rather than reading as empty.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static string Folder(string fallback) => Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } folder ? folder : fallback;

    /// <summary>Every <c>*.json</c> in the folder, by file name, each validated; conversation ids unique across files.</summary>
    public static IReadOnlyList<EvaluationConversation> LoadFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"No evaluation folder at {folder}.");
        }
        var conversations = Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(Load).ToList();
        var duplicate = conversations.GroupBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"Conversation id {duplicate.Key} is used by {duplicate.Count()} files in {folder}.");
        }
        return conversations;
    }

    public static EvaluationConversation Load(string path)
    {
        EvaluationConversation? conversation;
        try
        {
            using var stream = File.OpenRead(path);
            conversation = JsonSerializer.Deserialize<EvaluationConversation>(stream, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        var problems = conversation is null ? ["empty file"] : Problems(conversation);
        return problems.Count == 0 ? conversation! : throw new InvalidDataException($"{path}:\n  {string.Join("\n  ", problems)}");
    }

    /// <summary>What makes the file unusable: duplicate ids, evidence that is not a message, and what the import API would refuse.</summary>
    public static IReadOnlyList<string> Problems(EvaluationConversation conversation)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(conversation.Id) || conversation.Id.Contains('/', StringComparison.Ordinal))
        {
            problems.Add("id: required, without '/' (it prefixes the imported conversation ids)");
        }
        if (string.IsNullOrWhiteSpace(conversation.Language))
        {
            problems.Add("language: required");
        }
        if (conversation.Sessions.Count == 0)
        {
            problems.Add("sessions: at least one");
        }
        var sessionIds = new HashSet<string>(StringComparer.Ordinal);
        var messageIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var session in conversation.Sessions)
        {
            if (!sessionIds.Add(session.Id))
            {
                problems.Add($"session {session.Id}: id used twice");
            }
            if (session.Messages.Count is 0 or > ConversationsApi.MaxMessages)
            {
                problems.Add($"session {session.Id}: 1 to {ConversationsApi.MaxMessages} messages, not {session.Messages.Count}");
            }
            foreach (var message in session.Messages)
            {
                if (!messageIds.Add(message.Id))
                {
                    problems.Add($"message {message.Id}: id used twice");
                }
                if (string.IsNullOrWhiteSpace(message.Id) || message.Id.Length > ConversationsApi.MaxIdLength)
                {
                    problems.Add($"message '{message.Id}' in {session.Id}: id required, at most {ConversationsApi.MaxIdLength} characters");
                }
                if (!conversation.Speakers.Contains(message.Speaker, StringComparer.Ordinal))
                {
                    problems.Add($"message {message.Id}: speaker {message.Speaker} is not one of the speakers");
                }
                if (string.IsNullOrWhiteSpace(message.Text) || message.Text.Length > ConversationsApi.MaxContentLength)
                {
                    problems.Add($"message {message.Id}: text required, at most {ConversationsApi.MaxContentLength} characters");
                }
            }
        }
        for (var i = 0; i < conversation.Questions.Count; i++)
        {
            var question = conversation.Questions[i];
            if (!Kinds.Contains(question.Kind, StringComparer.Ordinal))
            {
                problems.Add($"question {i}: kind {question.Kind} is not one of {string.Join(", ", Kinds)}");
            }
            if (string.IsNullOrWhiteSpace(question.Question) || question.Question.Length > MemoryApi.MaxQueryLength)
            {
                problems.Add($"question {i}: text required, at most {MemoryApi.MaxQueryLength} characters");
            }
            if (question.Evidence.Count == 0)
            {
                problems.Add($"question {i}: at least one evidence id");
            }
            problems.AddRange(question.Evidence.Where(id => !messageIds.Contains(id)).Select(id => $"question {i}: evidence {id} is not a message"));
            if (question.Evidence.Distinct(StringComparer.Ordinal).Count() != question.Evidence.Count)
            {
                problems.Add($"question {i}: evidence lists an id twice");
            }
        }
        return problems;
    }
}
