using System.Net.Http.Json;
using System.Text.Json;

namespace Aimi.Memory.Tests.Evaluation;

/// <summary>
/// Imports an evaluation conversation as a client app would: one <c>POST /memory/conversations</c> per session, then its status polled
/// until processed. Sessions go in chronological order, each after the previous one is processed, so later facts supersede earlier ones.
/// </summary>
public static class ConversationImporter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>The conversation id each session is imported under; the file id keeps sessions of different files apart.</summary>
    public static string ConversationId(EvaluationConversation conversation, EvaluationSession session) => $"{conversation.Id}/{session.Id}";

    public static async Task ImportAsync(HttpClient client, EvaluationConversation conversation, TimeSpan sessionTimeout, CancellationToken cancellationToken = default)
    {
        foreach (var session in conversation.Sessions.OrderBy(s => s.StartedAt))
        {
            var conversationId = ConversationId(conversation, session);
            var body = new
            {
                conversationId,
                messages = session.Messages.Select((m, i) => new { id = m.Id, role = "user", speaker = m.Speaker, content = m.Text, createdAt = session.TimeOf(i) }),
            };
            using (var posted = await client.PostAsJsonAsync("/memory/conversations", body, Json, cancellationToken))
            {
                if (!posted.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"import of {conversationId} answered {(int)posted.StatusCode}: {await posted.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            await WaitProcessedAsync(client, conversationId, sessionTimeout, cancellationToken: cancellationToken);
        }
    }

    /// <summary>
    /// Polls the import's status until it is processed; throws when it failed or is neither after <paramref name="timeout"/>.
    /// <paramref name="pollInterval"/> (50 ms unless given) is how long it waits between reads.
    /// </summary>
    public static async Task WaitProcessedAsync(HttpClient client, string conversationId, TimeSpan timeout, TimeSpan? pollInterval = null,
        CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await client.GetAsync($"/memory/conversations/{Uri.EscapeDataString(conversationId)}", cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"status of {conversationId} answered {(int)response.StatusCode}: {text}");
            }
            using var status = JsonDocument.Parse(text);
            switch (status.RootElement.GetProperty("status").GetString())
            {
                case "processed":
                    return;
                case "failed":
                    throw new InvalidOperationException($"import of {conversationId} failed: {status.RootElement.GetProperty("error")}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"import of {conversationId} neither processed nor failed in {timeout.TotalSeconds:F0} s (see the service's log); last status {text}");
            }
            await Task.Delay(pollInterval ?? PollInterval, cancellationToken);
        }
    }
}
