using System.Net;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Goals.Api.Domain;
using Aimi.Goals.Api.Endpoints;
using Aimi.Messaging;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Aimi.Goals.Tests;

public sealed class MessagingTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    private readonly string _userId = TestAuth.NewUserId();
    private HttpClient Client => host.ClientFor(_userId);

    [Fact]
    public async Task Every_change_appears_on_the_bus_exactly_once()
    {
        var created = await (await Client.PostJsonAsync("/events", new { title = "Swim", startsAt = host.Time.GetUtcNow().AddDays(1), source = "chat" }))
            .ReadAsync<EventResponse>(HttpStatusCode.Created);
        await Client.PostAsync($"/events/{created.Id}/confirm", null);
        await Client.PutJsonAsync($"/events/{created.Id}", new { expectedVersion = 2, notes = "bring goggles" });
        await Client.PostAsync($"/events/{created.Id}/complete", null);

        await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == created.Id, count: 4);
        // A duplicate would travel the same path (outbox → relay → RabbitMQ) ahead of a later change: once that marker
        // arrived, whatever the first four brought has arrived too.
        var marker = await (await Client.PostJsonAsync("/events", new { title = "Marker", dueAt = host.Time.GetUtcNow().AddDays(2) })).ReadAsync<EventResponse>(HttpStatusCode.Created);
        await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == marker.Id);
        var changes = host.Bus.Received<EventChanged>(e => e.EventId == created.Id);

        Assert.Equal([1, 2, 3, 4], changes.Select(c => c.Version).Order());
        Assert.Equal(["created", "status_changed", "updated", "status_changed"], changes.OrderBy(c => c.Version).Select(c => c.Change));
        Assert.Equal("done", changes.Single(c => c.Version == 4).Status);
        Assert.Equal("planned", changes.Single(c => c.Version == 4).PreviousStatus);
        Assert.Equal(_userId, changes[0].UserId);
        var ids = host.Bus.MessageIds<EventChanged>(e => e.EventId == created.Id);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(0, await host.WithDbAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.SentAt == null)));
    }

    [Fact]
    public async Task A_redelivered_reminder_changes_nothing_twice()
    {
        var created = await (await Client.PostJsonAsync("/events", new { title = "Doctor", startsAt = host.Time.GetUtcNow().AddHours(1) }))
            .ReadAsync<EventResponse>(HttpStatusCode.Created);
        var delivered = new ReminderDelivered
        {
            ReminderId = Guid.NewGuid(), EventId = created.Id, UserId = _userId, Channel = "in_app", Offset = TimeSpan.FromMinutes(15),
            Title = "Doctor", Text = "Doctor in 15 minutes", EventStartsAt = created.StartsAt, DeliveredAt = host.Time.GetUtcNow(),
        };
        var messageId = Guid.NewGuid();

        // The same message id twice, as RabbitMQ redelivers after a lost ack.
        await host.Bus.Bus.Publish(delivered, c => c.MessageId = messageId);
        await host.Bus.Bus.Publish(delivered, c => c.MessageId = messageId);
        // The marker: a later reminder on the same queue, for another event; once it took effect the copies are behind it.
        var other = await (await Client.PostJsonAsync("/events", new { title = "Marker", startsAt = host.Time.GetUtcNow().AddHours(1) })).ReadAsync<EventResponse>(HttpStatusCode.Created);
        await host.Bus.Bus.Publish(delivered with { ReminderId = Guid.NewGuid(), EventId = other.Id });
        await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == other.Id && e.Status == EventStatuses.AwaitingFeedback);
        await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == created.Id && e.Status == EventStatuses.AwaitingFeedback);
        Assert.True(await ProcessedAsync(messageId), $"message {messageId} was not recorded as processed");

        var history = await (await Client.GetAsync($"/events/{created.Id}/history")).ReadAsync<List<HistoryResponse>>(HttpStatusCode.OK);
        Assert.Equal([EventStatus.Planned, EventStatus.AwaitingFeedback], history.Select(h => h.To));
        Assert.Equal("system", history[1].Actor);
        Assert.Single(host.Bus.Received<EventChanged>(e => e.EventId == created.Id && e.Status == "awaiting_feedback"));
        var current = await (await Client.GetAsync($"/events/{created.Id}")).ReadAsync<EventResponse>(HttpStatusCode.OK);
        Assert.Equal(2, current.Version);
    }

    [Fact]
    public async Task An_early_reminder_is_noted_and_the_final_one_awaits_feedback()
    {
        var created = await (await Client.PostJsonAsync("/events", new { title = "Flight", startsAt = host.Time.GetUtcNow().AddDays(1) }))
            .ReadAsync<EventResponse>(HttpStatusCode.Created);
        ReminderDelivered Reminder(TimeSpan offset) => new()
        {
            ReminderId = Guid.NewGuid(), EventId = created.Id, UserId = _userId, Channel = "email", Offset = offset,
            Title = "Flight", Text = "Flight soon", EventStartsAt = created.StartsAt, DeliveredAt = host.Time.GetUtcNow(),
        };

        await host.Bus.Bus.Publish(new RemindersScheduled
        {
            EventId = created.Id, UserId = _userId, ReminderCount = 3, FirstTriggerAt = host.Time.GetUtcNow(), OccurredAt = host.Time.GetUtcNow(),
        });
        // Moving to scheduled is bookkeeping: the history and the API show it, no EventChanged announces it.
        await Eventually.GetAsync(
            async () => (await (await Client.GetAsync($"/events/{created.Id}")).ReadAsync<EventResponse>(HttpStatusCode.OK)).Status,
            status => status == EventStatus.Scheduled);
        await host.Bus.Bus.Publish(Reminder(TimeSpan.FromHours(24)));
        await host.Bus.Bus.Publish(Reminder(TimeSpan.FromHours(2)));
        await host.Bus.Bus.Publish(Reminder(TimeSpan.FromMinutes(15)));
        await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == created.Id && e.Status == "awaiting_feedback");
        // The outbox relays in commit order: had "scheduled" been announced, it would be here by now.
        Assert.DoesNotContain(host.Bus.Received<EventChanged>(e => e.EventId == created.Id), e => e.Status == "scheduled");

        var history = await Eventually.GetAsync(
            async () => await (await Client.GetAsync($"/events/{created.Id}/history")).ReadAsync<List<HistoryResponse>>(HttpStatusCode.OK),
            h => h.Count >= 5);
        Assert.Equal(5, history.Count);
        // Consumers run concurrently, so the early reminders may be noted before or after the final one moved the status.
        Assert.Equal(2, history.Count(h => h.From == h.To && h.Reason!.StartsWith("reminder delivered", StringComparison.Ordinal)));
        Assert.Single(history, h => h.From == EventStatus.Scheduled && h.To == EventStatus.AwaitingFeedback);
    }

    [Fact]
    public async Task A_reminder_for_another_users_event_changes_nothing()
    {
        var created = await (await Client.PostJsonAsync("/events", new { title = "Private", startsAt = host.Time.GetUtcNow().AddHours(1) }))
            .ReadAsync<EventResponse>(HttpStatusCode.Created);

        var messageId = Guid.NewGuid();
        await host.Bus.Bus.Publish(new ReminderDelivered
        {
            ReminderId = Guid.NewGuid(), EventId = created.Id, UserId = "someone-else", Channel = ReminderChannels.InApp, Offset = TimeSpan.FromMinutes(15),
            Title = "x", Text = "x", DeliveredAt = host.Time.GetUtcNow(),
        }, c => c.MessageId = messageId);

        // Consumed (this very message recorded as processed by Goals' consumer) without touching the event.
        await Eventually.GetAsync(() => ProcessedAsync(messageId), processed => processed, because: $"message {messageId} to be processed");

        var current = await (await Client.GetAsync($"/events/{created.Id}")).ReadAsync<EventResponse>(HttpStatusCode.OK);
        Assert.Equal(EventStatus.Planned, current.Status);
        Assert.Equal(1, current.Version);
    }

    /// <summary>
    /// A service's bus (the shared set-up of <c>AddAimiMessaging</c>, here Goals') reports nothing to MassTransit's usage-tracking
    /// server: which consumers and queues the system has is ours.
    /// </summary>
    [Fact]
    public void The_bus_reports_no_usage_telemetry()
    {
        var options = host.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value;

        Assert.False(options.Enabled);
    }

    [Fact]
    public void Queues_are_named_after_the_service_so_two_services_never_share_one()
    {
        var goals = ServiceEndpointNames.Formatter("goals");

        Assert.Equal("goals-reminder-delivered", goals.Consumer<Aimi.Goals.Api.Consumers.ReminderDeliveredConsumer>());
        Assert.Equal("goals-reminders-scheduled", goals.Consumer<Aimi.Goals.Api.Consumers.RemindersScheduledConsumer>());
        Assert.Equal("chat-reminder-delivered", ServiceEndpointNames.Formatter("chat").Consumer<Aimi.Goals.Api.Consumers.ReminderDeliveredConsumer>());
        Assert.Throws<ArgumentException>(() => ServiceEndpointNames.Formatter("Goals Service"));
        // A service that names none gets the one in its assembly name.
        Assert.Equal("goals", ServiceEndpointNames.ServiceOf("Aimi.Goals.Api"));
        Assert.Equal("notifications", ServiceEndpointNames.ServiceOf("Aimi.Notifications.Api"));
        Assert.Throws<InvalidOperationException>(() => ServiceEndpointNames.ServiceOf("SomethingElse"));
    }

    private Task<bool> ProcessedAsync(Guid messageId) =>
        host.WithDbAsync(db => db.Set<ProcessedMessage>().AnyAsync(m => m.Consumer == "goals-reminder-delivered" && m.MessageId == messageId));
}

public sealed class TracingTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task The_request_trace_continues_through_the_outbox_onto_RabbitMQ()
    {
        var traceId = System.Diagnostics.ActivityTraceId.CreateRandom();
        var client = host.ClientFor(TestAuth.NewUserId());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { title = "Traced", dueAt = host.Time.GetUtcNow().AddDays(1) }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-01");

        var created = await (await client.SendAsync(request)).ReadAsync<EventResponse>(HttpStatusCode.Created);

        await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == created.Id);
        var headers = host.Bus.HeadersOf<EventChanged>(e => e.EventId == created.Id).Single();
        Assert.True(headers.Values.Any(v => v?.ToString()?.Contains(traceId.ToString(), StringComparison.Ordinal) == true),
            $"No header carries trace {traceId}: {string.Join(", ", headers.Select(h => $"{h.Key}={h.Value}"))}");
    }
}
