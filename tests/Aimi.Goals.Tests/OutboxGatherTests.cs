using System.Net;
using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Endpoints;
using Aimi.Messaging;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>Goals whose relay gathers for <see cref="Gather"/> once woken, as the services run (a host of its own, whose clock the test moves).</summary>
public sealed class GatheringGoalsHost : GoalsHost
{
    public static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(50);

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() => [new("Outbox:Gather", Gather.ToString())];
}

/// <summary>
/// Woken by a commit, the relay waits <see cref="OutboxOptions.Gather"/> on the service's clock before it claims, so the commits of
/// that moment go out in one pass (one transaction and claiming statement for all of them) instead of a pass each (issue 17).
/// </summary>
public sealed class OutboxGatherTests(GatheringGoalsHost host) : IClassFixture<GatheringGoalsHost>
{
    [Fact]
    public async Task Commits_close_together_are_relayed_in_one_pass_after_the_gathering()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var created = await (await client.PostJsonAsync("/events", new { title = $"Gathered {i}", dueAt = host.Time.GetUtcNow().AddDays(1) }))
                .ReadAsync<EventResponse>(HttpStatusCode.Created);
            ids.Add(created.Id);
        }
        var committedAt = host.Time.GetUtcNow();

        // The relay woke at the first commit and waits on the clock; the clock moves only here (until its wait has begun, a move
        // may come too early for it, so the clock moves again until the events arrive).
        await Eventually.GetAsync(() =>
        {
            host.Time.Advance(GatheringGoalsHost.Gather);
            return Task.FromResult(host.Bus.Received<EventChanged>(e => ids.Contains(e.EventId)));
        }, arrived => arrived.Count == ids.Count, TimeSpan.FromSeconds(15));

        var rows = await host.WithDbAsync(db => db.Set<OutboxMessage>().AsNoTracking()
            .Where(m => m.MessageType == typeof(EventChanged).FullName && m.CreatedAt >= committedAt.AddMinutes(-1)).ToListAsync());
        var sent = rows.Where(m => ids.Any(id => m.Payload.Contains(id.ToString(), StringComparison.Ordinal))).ToList();
        Assert.Equal(ids.Count, sent.Count);
        // One claim (its time is the pass's), and not before the gathering's wait had passed on the clock.
        Assert.Single(sent.Select(m => m.SentAt).Distinct());
        Assert.All(sent, m => Assert.True(m.SentAt >= committedAt + GatheringGoalsHost.Gather, $"sent at {m.SentAt:O}, committed by {committedAt:O}"));
    }
}
