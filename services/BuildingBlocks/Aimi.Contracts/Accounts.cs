namespace Aimi.Contracts.Accounts;

// The account's lifecycle crosses every service: Goals (the account directory) asks and announces the end, each service
// answers for itself. Hence a namespace of its own rather than the producing service's.

/// <summary>
/// The user asked for their account to be erased (<c>DELETE /me</c>): every service deletes everything it holds of the user,
/// keeps an erased-user mark, and answers with <see cref="AccountErasureCompleted"/>. Handled idempotently: a repeat
/// deletes nothing more and answers again.
/// </summary>
public sealed record AccountErasureRequested
{
    public required Guid ErasureId { get; init; }
    public required string UserId { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
}

/// <summary>One service holds nothing of the user any more (its own data, cache and outbox copies).</summary>
public sealed record AccountErasureCompleted
{
    public required Guid ErasureId { get; init; }
    public required string UserId { get; init; }
    /// <summary>One of <see cref="ErasureServices"/>.</summary>
    public required string Service { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}

/// <summary>
/// Every service has erased the user. Until a service hears this it drops every message about the user; afterwards it drops
/// those that occurred before <see cref="CompletedAt"/> (in flight from the old account) and a new sign-in is a fresh account.
/// </summary>
public sealed record AccountErased
{
    public required Guid ErasureId { get; init; }
    public required string UserId { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}

/// <summary>The words of <see cref="AccountErasureCompleted.Service"/>: the services an erasure waits for.</summary>
public static class ErasureServices
{
    public const string Goals = "goals";
    public const string Chat = "chat";
    public const string Memory = "memory";
    public const string Notifications = "notifications";

    public static readonly IReadOnlyList<string> All = [Goals, Chat, Memory, Notifications];
}
