namespace Aimi.Goals.Api.Data;

/// <summary>
/// A write done under an <c>Idempotency-Key</c> and the response it got, so a repeat of it is answered without doing it
/// again (<see cref="Endpoints.Idempotency"/>). Written in the write's own transaction; kept for a day.
/// </summary>
public sealed class IdempotentRequest
{
    /// <summary>The caller's token subject: keys are the caller's own, another user's equal key is another request.</summary>
    public required string Subject { get; init; }
    public required string Key { get; init; }
    /// <summary>SHA-256 of the method, path and bound body: the same key with another request is refused.</summary>
    public required string Fingerprint { get; init; }
    public int StatusCode { get; init; }
    public string? ContentType { get; init; }
    public string? Location { get; init; }
    public string Body { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}
