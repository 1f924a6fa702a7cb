namespace Aimi.Goals.Api.Domain;

/// <summary>
/// The user's request to be erased everywhere (<c>DELETE /me</c>) and how far it got: Goals erases its own part at once, each
/// other service answers when it is done (<see cref="AccountErasureStep"/>). Keyed by the token subject, since the user record is
/// gone; until it completes, the subject cannot sign in again here.
/// </summary>
public sealed class AccountErasure
{
    public Guid Id { get; init; }
    public required string Subject { get; init; }
    public DateTimeOffset RequestedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; private set; }
    public List<AccountErasureStep> Steps { get; init; } = [];

    /// <summary>Records a service's answer (once); true when that made the erasure complete.</summary>
    public bool Record(string service, DateTimeOffset at, IReadOnlyCollection<string> expected, DateTimeOffset now)
    {
        if (Steps.All(s => s.Service != service))
        {
            Steps.Add(new AccountErasureStep { ErasureId = Id, Service = service, CompletedAt = at });
        }
        if (CompletedAt is not null || !expected.All(e => Steps.Any(s => s.Service == e)))
        {
            return false;
        }
        CompletedAt = now;
        return true;
    }
}

public sealed class AccountErasureStep
{
    public Guid ErasureId { get; init; }
    public required string Service { get; init; }
    public DateTimeOffset CompletedAt { get; init; }
}
