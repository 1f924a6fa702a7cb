using System.Net;
using Aimi.Contracts.Notifications;
using Aimi.Goals.Api.Domain;
using Aimi.Goals.Api.Endpoints;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>
/// What queued up of <see cref="RemindersScheduled"/> is handled together: the batch's events and their owners are read in one
/// statement, not one a message (issue 17), and each event still moves only for its owner's message.
/// </summary>
public sealed class RemindersScheduledBatchTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task A_batch_reads_its_events_in_one_statement_and_moves_each_for_its_owner_only()
    {
        var users = new[] { TestAuth.NewUserId(), TestAuth.NewUserId() };
        var events = new List<(string User, Guid Id)>();
        foreach (var user in users)
        {
            for (var i = 0; i < 3; i++)
            {
                var created = await (await host.ClientFor(user).PostJsonAsync("/events", new { title = $"Batched {i}", startsAt = host.Time.GetUtcNow().AddDays(1) }))
                    .ReadAsync<EventResponse>(HttpStatusCode.Created);
                events.Add((user, created.Id));
            }
        }
        var stranger = await (await host.ClientFor(users[0]).PostJsonAsync("/events", new { title = "Not theirs", startsAt = host.Time.GetUtcNow().AddDays(1) }))
            .ReadAsync<EventResponse>(HttpStatusCode.Created);

        using var traced = new TracedCommands();
        var now = host.Time.GetUtcNow();
        var messages = events.Select(e => (Id: Guid.NewGuid(), Message: new RemindersScheduled { EventId = e.Id, UserId = e.User, ReminderCount = 3, FirstTriggerAt = now, OccurredAt = now }))
            .Append((Id: Guid.NewGuid(), Message: new RemindersScheduled { EventId = stranger.Id, UserId = users[1], ReminderCount = 3, FirstTriggerAt = now, OccurredAt = now }))
            .ToList();
        await Task.WhenAll(messages.Select(m => host.Bus.Bus.Publish(m.Message, c => c.MessageId = m.Id)));

        var ids = messages.Select(m => m.Id).ToArray();
        // Each batch is one transaction: its processed_messages rows share an xmin.
        Task<Recorded> RecordedAsync() => host.WithDbAsync(db => db.Database.SqlQuery<Recorded>(
            $"SELECT count(*) AS messages, count(DISTINCT xmin::text) AS transactions FROM processed_messages WHERE consumer = 'goals-reminders-scheduled' AND message_id = ANY({ids})")
            .SingleAsync());
        var recorded = await Eventually.GetAsync(RecordedAsync, r => r.Messages == ids.Length, because: "every message handled");
        var statuses = await host.WithDbAsync(db => db.Events.AsNoTracking().Where(e => e.Id == stranger.Id || events.Select(x => x.Id).Contains(e.Id))
            .ToDictionaryAsync(e => e.Id, e => e.Status));
        Assert.All(events, e => Assert.Equal(EventStatus.Scheduled, statuses[e.Id]));
        Assert.Equal(EventStatus.Planned, statuses[stranger.Id]); // announced under another user's id: not theirs to move

        // Each batch read the events of its messages once.
        var batches = recorded.Transactions;
        Assert.InRange(batches, 1, ids.Length - 1); // published together, they queue up together
        var reads = traced.CommandsOn(host.Database.Name).Count(c => c.Contains("FROM events", StringComparison.Ordinal) && c.Contains("JOIN users", StringComparison.Ordinal));
        Assert.Equal(batches, reads);
    }

    private sealed record Recorded(long Messages, long Transactions);
}
