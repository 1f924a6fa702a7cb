using System.Net;
using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Endpoints;
using Aimi.Messaging;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>Goals whose relay sets a row aside after three failures of its own (a host of its own: the test leaves a poison row behind).</summary>
public sealed class QuarantiningGoalsHost : GoalsHost
{
    public const int MaxAttempts = 3;

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() => [new("Outbox:MaxAttempts", $"{MaxAttempts}")];
}

public sealed class OutboxQuarantineTests(QuarantiningGoalsHost host) : IClassFixture<QuarantiningGoalsHost>
{
    [Fact]
    public async Task A_row_that_cannot_be_published_is_set_aside_and_holds_back_nothing()
    {
        // A row at the head of the outbox whose contract no longer exists (a type renamed away, say): no broker will take it.
        var poison = new OutboxMessage
        {
            Id = Guid.CreateVersion7(),
            MessageType = "Aimi.Contracts.Goals.RetiredContract",
            Payload = "{}",
            CreatedAt = host.Time.GetUtcNow().AddMinutes(-1),
        };
        await host.WithDbAsync(db =>
        {
            db.Set<OutboxMessage>().Add(poison);
            return db.SaveChangesAsync();
        });

        // The clock stands still: a relay that backed off after the poison row's failure would never publish again.
        var client = host.ClientFor(TestAuth.NewUserId());
        for (var i = 0; i < QuarantiningGoalsHost.MaxAttempts + 2; i++)
        {
            var created = await (await client.PostJsonAsync("/events", new { title = $"Run {i}", dueAt = host.Time.GetUtcNow().AddDays(1) }))
                .ReadAsync<EventResponse>(HttpStatusCode.Created);
            await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == created.Id, timeout: TimeSpan.FromSeconds(15));
        }

        var kept = await host.WithDbAsync(db => db.Set<OutboxMessage>().AsNoTracking().SingleAsync(m => m.Id == poison.Id));
        Assert.NotNull(kept.QuarantinedAt);
        Assert.Null(kept.SentAt);
        Assert.Equal(QuarantiningGoalsHost.MaxAttempts, kept.Attempts); // set aside, then never tried again
        Assert.Contains("RetiredContract", kept.LastError);
        Assert.Equal(0, await host.WithDbAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.SentAt == null && m.QuarantinedAt == null)));
    }
}
