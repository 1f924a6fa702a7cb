using System.Text.Json;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Memory.Api.Workers;
using Aimi.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aimi.Memory.Api.Endpoints;

public sealed record ImportMessage(string? Id, string? Role, string? Speaker, string? Content, DateTimeOffset? CreatedAt);

public sealed record ImportRequest(string? ConversationId, List<ImportMessage>? Messages);

public sealed record ImportResponse(string ConversationId, string Status, int MessageCount, DateTimeOffset CreatedAt, DateTimeOffset? ProcessedAt, string? Error);

/// <summary>Import of a transcript from another app: queued here, processed by <see cref="ImportWorker"/> like a chat session.</summary>
public static class ConversationsApi
{
    public const int MaxBodyBytes = 2 * 1024 * 1024;
    public const int MaxMessages = 2000;
    public const int MaxIdLength = MemoryDbContext.MessageIdMaxLength;
    public const int MaxContentLength = 4000;
    public const int MaxSpeakerLength = 100;

    public static IEndpointRouteBuilder MapConversationEndpoints(this IEndpointRouteBuilder app)
    {
        var conversations = app.MapGroup("/memory/conversations").WithTags("Memory");
        conversations.MapPost("/", Import).WithName("ImportConversation").DisableRequestTimeout();
        conversations.MapGet("/{conversationId}", GetImport).WithName("GetConversationImport");
        return app;
    }

    /// <summary>202 with the status URL; the same <c>conversationId</c> again answers with the first import, changing nothing.</summary>
    public static async Task<Results<AcceptedAtRoute<ImportResponse>, ValidationProblem, ProblemHttpResult>> Import(
        HttpRequest http, ImportSignal signal, [AsParameters] MemoryApiServices services)
    {
        // Checked before reading, so an oversized body is refused without buffering it.
        if (http.ContentLength is > MaxBodyBytes)
        {
            return Problems.TooLarge($"The body may be at most {MaxBodyBytes} bytes.");
        }
        if (!http.HasJsonContentType())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type", detail: "Send the conversation as application/json.");
        }
        var request = await http.ReadFromJsonAsync<ImportRequest>(services.CancellationToken);
        if (request?.Messages is { Count: > MaxMessages })
        {
            return Problems.TooLarge($"At most {MaxMessages} messages per conversation; split it into several imports.");
        }
        if (Validate(request) is { } problem)
        {
            return problem;
        }

        var userId = services.UserId;
        var conversationId = request!.ConversationId!.Trim();
        var lines = request.Messages!.Select(m => new ConversationLine(m.Id!, m.Role!, string.IsNullOrWhiteSpace(m.Speaker) ? null : m.Speaker.Trim(), m.Content!, m.CreatedAt!.Value))
            .OrderBy(l => l.At).ToList();
        var now = services.Time.GetUtcNow();
        var import = new ConversationImport
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            ConversationId = conversationId,
            Status = ImportStatus.Queued,
            Transcript = JsonSerializer.Serialize(lines, ImportWorker.Json),
            MessageCount = lines.Count,
            CreatedAt = now,
        };
        services.Db.Imports.Add(import);
        try
        {
            await services.Db.SaveChangesAsync(services.CancellationToken);
            signal.Notify();
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            services.Db.ChangeTracker.Clear();
            import = await services.Db.Imports.AsNoTracking().SingleAsync(i => i.UserId == userId && i.ConversationId == conversationId, services.CancellationToken);
        }
        return TypedResults.AcceptedAtRoute(ToResponse(import), "GetConversationImport", new { conversationId = import.ConversationId });
    }

    public static async Task<Results<Ok<ImportResponse>, ProblemHttpResult>> GetImport(string conversationId, [AsParameters] MemoryApiServices services)
    {
        // Routing leaves an escaped slash escaped ("chat%2F2025"); the id was stored as the client sent it in the body.
        conversationId = Uri.UnescapeDataString(conversationId);
        var userId = services.UserId;
        var import = await services.Db.Imports.AsNoTracking().SingleOrDefaultAsync(i => i.UserId == userId && i.ConversationId == conversationId, services.CancellationToken);
        return import is null ? Problems.NotFound("Conversation", conversationId) : TypedResults.Ok(ToResponse(import));
    }

    private static ImportResponse ToResponse(ConversationImport i) =>
        new(i.ConversationId, WireName.Of(i.Status), i.MessageCount, i.CreatedAt, i.ProcessedAt, i.Error);

    private static ValidationProblem? Validate(ImportRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request is null)
        {
            return Problems.Invalid("body", "Required.");
        }
        if (string.IsNullOrWhiteSpace(request.ConversationId) || request.ConversationId.Trim().Length > 200)
        {
            errors["conversationId"] = ["Required, at most 200 characters."];
        }
        if (request.Messages is null || request.Messages.Count == 0)
        {
            errors["messages"] = ["At least one message."];
            return Problems.Invalid(errors);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var m = request.Messages[i];
            if (string.IsNullOrWhiteSpace(m.Id) || m.Id.Length > MaxIdLength)
            {
                errors[$"messages[{i}].id"] = [$"Required, at most {MaxIdLength} characters."];
            }
            else if (!seen.Add(m.Id))
            {
                errors[$"messages[{i}].id"] = ["Must be unique in the conversation."];
            }
            if (m.Role is not (ConversationLine.UserRole or ConversationLine.AssistantRole))
            {
                errors[$"messages[{i}].role"] = ["Must be user or assistant."];
            }
            if (m.Speaker is { Length: > MaxSpeakerLength })
            {
                errors[$"messages[{i}].speaker"] = [$"At most {MaxSpeakerLength} characters."];
            }
            if (string.IsNullOrWhiteSpace(m.Content) || m.Content.Length > MaxContentLength)
            {
                errors[$"messages[{i}].content"] = [$"Required, at most {MaxContentLength} characters."];
            }
            if (m.CreatedAt is null)
            {
                errors[$"messages[{i}].createdAt"] = ["Required."];
            }
        }
        return errors.Count == 0 ? null : Problems.Invalid(errors);
    }
}
