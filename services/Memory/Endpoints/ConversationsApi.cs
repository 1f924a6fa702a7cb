using System.Text;
using System.Text.Json;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Memory.Api.Workers;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

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

    /// <summary>When to try again with too many imports waiting: about the time a queued import takes.</summary>
    public static readonly TimeSpan QueuedRetryAfter = TimeSpan.FromSeconds(30);

    /// <summary>The first key of the per-user advisory lock of the quota ("impt"); the second is the hash of the user id.</summary>
    private const int ImportLockSpace = 0x696D7074;

    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    public static IEndpointRouteBuilder MapConversationEndpoints(this IEndpointRouteBuilder app)
    {
        var conversations = app.MapGroup("/memory/conversations").WithTags("Memory");
        conversations.MapPost("/", Import).WithName("ImportConversation").DisableRequestTimeout();
        conversations.MapGet("/{conversationId}", GetImport).WithName("GetConversationImport");
        return app;
    }

    /// <summary>
    /// 202 with the status URL; the same <c>conversationId</c> again answers with the first import, changing nothing. A user
    /// may have <see cref="ImportOptions.MaxQueuedPerUser"/> imports waiting and import <see cref="ImportOptions.MaxBytesPerDay"/>
    /// bytes of messages in any 24 hours, counted in the database (so across replicas); beyond either, a 429 with <c>Retry-After</c>.
    /// </summary>
    public static async Task<Results<AcceptedAtRoute<ImportResponse>, ValidationProblem, ProblemHttpResult>> Import(
        HttpRequest http, ImportSignal signal, IOptions<ImportOptions> options, [AsParameters] MemoryApiServices services)
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
        var bytes = lines.Sum(l => Encoding.UTF8.GetByteCount(l.Content));
        var limits = options.Value;
        if (bytes > limits.MaxBytesPerDay)
        {
            return Problems.TooLarge($"The messages hold {bytes} bytes; at most {limits.MaxBytesPerDay} can be imported in a day.");
        }

        var db = services.Db;
        var ct = services.CancellationToken;
        var now = services.Time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // One user's imports are counted one request at a time, so two requests cannot both take the last free place.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({ImportLockSpace}, hashtext({userId}))", ct);
        if (!await db.AdmitAsync(userId, now, ct))
        {
            throw RequestException.Conflict("Account erasure in progress", "This account is being erased; nothing can be imported until that is done.");
        }
        var import = await db.Imports.AsNoTracking().SingleOrDefaultAsync(i => i.UserId == userId && i.ConversationId == conversationId, ct);
        if (import is null)
        {
            if (await OverQuotaAsync(db, http.HttpContext, userId, bytes, limits, now, ct) is { } refused)
            {
                return refused;
            }
            import = ConversationImport.Queue(Guid.CreateVersion7(now), userId, conversationId, JsonSerializer.Serialize(lines, ImportWorker.Json), bytes, lines.Count, now);
            db.Imports.Add(import);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            signal.Notify();
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

    /// <summary>The 429 when the user has too many imports waiting, or this one would take the day's volume over the cap; null when it fits.</summary>
    private static async Task<ProblemHttpResult?> OverQuotaAsync(
        MemoryDbContext db, HttpContext http, string userId, int bytes, ImportOptions limits, DateTimeOffset now, CancellationToken ct)
    {
        var queued = await db.Imports.CountAsync(i => i.UserId == userId && i.Status == ImportStatus.Queued, ct);
        if (queued >= limits.MaxQueuedPerUser)
        {
            return RequestException.TooManyRequests("Too many imports waiting",
                $"At most {limits.MaxQueuedPerUser} of your imports may wait at once; send this one when one of them is processed.", QueuedRetryAfter).ToProblem(http);
        }
        var since = now - Day;
        var used = await db.Imports.Where(i => i.UserId == userId && i.CreatedAt > since).SumAsync(i => (long)i.TranscriptBytes, ct);
        var excess = used + bytes - limits.MaxBytesPerDay;
        if (excess <= 0)
        {
            return null;
        }
        // Room comes back as the day's earliest imports leave the 24 hours: this one fits once enough of them have.
        var freedAt = await db.Database.SqlQuery<DateTimeOffset>($"""
            SELECT created_at AS "Value" FROM (
                SELECT created_at, sum(transcript_bytes) OVER (ORDER BY created_at, id) AS freed
                FROM conversation_imports WHERE user_id = {userId} AND created_at > {since}) AS day
            WHERE freed >= {excess}
            ORDER BY created_at LIMIT 1
            """).SingleAsync(ct);
        return RequestException.TooManyRequests("Daily import volume reached",
            $"At most {limits.MaxBytesPerDay} bytes of messages may be imported in 24 hours; {used} are, and this import holds {bytes}.", freedAt + Day - now).ToProblem(http);
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
