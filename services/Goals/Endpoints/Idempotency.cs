using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aimi.Goals.Api.Data;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aimi.Goals.Api.Endpoints;

/// <summary>
/// <c>Idempotency-Key</c> on every write (POST, PUT, DELETE). The first request with a key does the work and stores its
/// response (status and body) in the same transaction as the change; a repeat with the same key and the same request —
/// a client's retry, the resilience handler's retry after a timeout, a chat turn run again — gets that response back
/// (marked <c>Idempotent-Replayed: true</c>) and changes nothing. A repeat that arrives while the first is still running
/// waits for it. The same key with a different request is a 409. Keys are the caller's own and expire after
/// <see cref="Lifetime"/>. Only successes are kept: a refused request (4xx) changed nothing and may be sent again.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 200;
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>Lets the group's writes carry an <c>Idempotency-Key</c>; reads pass through untouched.</summary>
    public static RouteGroupBuilder WithIdempotencyKeys(this RouteGroupBuilder group) => group.AddEndpointFilter(RunOnceAsync);

    private static async ValueTask<object?> RunOnceAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var keys = http.Request.Headers[Header];
        if (keys.Count == 0 || HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
        {
            return await next(context);
        }
        var key = keys.Count == 1 ? keys[0] : null;
        if (string.IsNullOrWhiteSpace(key) || key.Length > MaxKeyLength)
        {
            return new Validation().Add(Header, $"'{Header}' must be one value of 1 to {MaxKeyLength} characters.").ToProblem();
        }

        var db = http.RequestServices.GetRequiredService<GoalsDbContext>();
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var subject = http.User.GetUserId();
        var fingerprint = Fingerprint(http, context.Arguments);
        var cancellationToken = http.RequestAborted;

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The claim, as the idempotent consumers make theirs: a concurrent request with the same key waits here until the
        // first commits (and then replays its response) or rolls back (and then does the work itself). An expired key is
        // claimed afresh.
        var claimed = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO idempotent_requests (subject, key, fingerprint, status_code, body, created_at)
            VALUES ({subject}, {key}, {fingerprint}, 0, '', {now})
            ON CONFLICT (subject, key) DO UPDATE
                SET fingerprint = excluded.fingerprint, status_code = 0, content_type = NULL, location = NULL, body = '', created_at = excluded.created_at
                WHERE idempotent_requests.created_at <= {now - Lifetime}
            """, cancellationToken);
        if (claimed == 0)
        {
            var stored = await db.IdempotentRequests.AsNoTracking().SingleAsync(r => r.Subject == subject && r.Key == key, cancellationToken);
            return stored.Fingerprint == fingerprint
                ? new Answer(stored.StatusCode, stored.ContentType, stored.Location, stored.Body, Replayed: true)
                : KeyReused(key);
        }

        var response = await CaptureAsync(http, await next(context));
        if (response.StatusCode is >= 200 and < 300)
        {
            // The work is done: it commits even if the caller has given up meanwhile, whose retry then gets it replayed.
            await db.IdempotentRequests.Where(r => r.Subject == subject && r.Key == key).ExecuteUpdateAsync(u => u
                .SetProperty(r => r.StatusCode, response.StatusCode)
                .SetProperty(r => r.ContentType, response.ContentType)
                .SetProperty(r => r.Location, response.Location)
                .SetProperty(r => r.Body, response.Body), CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        }
        // A refusal rolls back with its claim.
        return response;
    }

    /// <summary>What the request asks for: method, path and the bound body (not its bytes, so a retry serialised anew still matches).</summary>
    private static string Fingerprint(HttpContext http, IList<object?> arguments)
    {
        var json = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var bound = arguments.Where(a => a is not (GoalsApiServices or HttpContext or CancellationToken));
        var request = $"{http.Request.Method} {http.Request.Path}{http.Request.QueryString}\n{JsonSerializer.Serialize(bound, json)}";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(request)));
    }

    /// <summary>Runs the endpoint's result into memory, so its response can be stored before anything reaches the client.</summary>
    private static async Task<Answer> CaptureAsync(HttpContext http, object? result)
    {
        if (result is not IResult executable)
        {
            throw new InvalidOperationException($"An idempotent endpoint returned {result?.GetType().Name ?? "null"}, not an IResult.");
        }
        var response = http.Response;
        var body = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        try
        {
            await executable.ExecuteAsync(http);
        }
        finally
        {
            response.Body = body;
        }
        var location = response.Headers.Location.ToString();
        return new Answer(response.StatusCode, response.ContentType, location.Length > 0 ? location : null, Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static ProblemHttpResult KeyReused(string key) => RequestException.Conflict(
        "Idempotency key reused",
        $"The {Header} '{key}' was used for a different request within the last {Lifetime.TotalHours:0} hours; send a new key for a new request.").ToProblem();

    /// <summary>A response as the endpoint first gave it, written again (to the first caller, or to a repeat).</summary>
    private sealed record Answer(int StatusCode, string? ContentType, string? Location, string Body, bool Replayed = false) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCode;
            http.Response.ContentType = ContentType;
            if (Location is not null)
            {
                http.Response.Headers.Location = Location;
            }
            if (Replayed)
            {
                http.Response.Headers[ReplayedHeader] = "true";
            }
            if (Body.Length > 0)
            {
                await http.Response.WriteAsync(Body, Encoding.UTF8, http.RequestAborted);
            }
        }
    }
}
