using Aimi.Contracts.Chat;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Aimi.Memory.Tests;

/// <summary>The Memory service on its own database (pgvector) and RabbitMQ vhost, a clock the tests move, and a recorder of what it publishes.</summary>
public class MemoryHost() : ServiceHost<Program>(ResourceNames.MemoryDb)
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    public BusRecorder Bus { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Bus = await BusRecorder.StartAsync(VirtualHost.ConnectionString, typeof(UserStateUpdated), typeof(MessageClassified));
        _ = Server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Memory:Import:PollInterval", "00:00:00.200"),
        new("Outbox:PollInterval", "00:00:00.200"),
    ];

    public async Task<T> WithDbAsync<T>(Func<MemoryDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<MemoryDbContext>());
    }

    /// <summary>A chat message as Chat announces it, said now by the host's clock.</summary>
    public ChatMessageRecorded ChatMessage(string userId, Guid sessionId, string role, string content, bool remember = true) => new()
    {
        MessageId = Guid.NewGuid(), SessionId = sessionId, UserId = userId, Role = role, Content = content,
        At = Time.GetUtcNow(), OccurredAt = Time.GetUtcNow(), Remember = remember,
    };

    /// <summary>The user's episodes, read untracked.</summary>
    public Task<List<MemoryItem>> EpisodesOfAsync(string userId) =>
        WithDbAsync(db => db.Memories.AsNoTracking().Where(m => m.UserId == userId && m.Kind == MemoryKind.Episode).ToListAsync());

    /// <summary>Whether Memory answered with a reading of the message (its outbox row commits with the handling).</summary>
    public Task<bool> ClassifiedAsync(Guid messageId) => WithDbAsync(db => db.Set<OutboxMessage>()
        .AnyAsync(o => o.MessageType == typeof(MessageClassified).FullName && EF.Functions.JsonContains(o.Payload, $"{{\"messageId\":\"{messageId}\"}}")));

    /// <summary>Publishes a chat session's end as Chat would; returns its session id.</summary>
    public async Task<Guid> EndSessionAsync(string userId, params string[] userLines) =>
        await EndSessionAsync(userId, Guid.NewGuid(), Guid.NewGuid(), userLines);

    public async Task<Guid> EndSessionAsync(string userId, Guid sessionId, Guid messageId, params string[] userLines)
    {
        var at = Time.GetUtcNow();
        var transcript = new List<TranscriptLine>();
        foreach (var line in userLines)
        {
            at = at.AddSeconds(10);
            transcript.Add(new TranscriptLine { MessageId = Guid.NewGuid(), Role = "user", Content = line, At = at });
            transcript.Add(new TranscriptLine { MessageId = Guid.NewGuid(), Role = "assistant", Content = "I see.", At = at.AddSeconds(1) });
        }
        await Bus.Bus.Publish(new ChatSessionEnded
        {
            SessionId = sessionId,
            UserId = userId,
            Reason = "goodbye",
            StartedAt = Time.GetUtcNow(),
            EndedAt = at,
            MessageCount = transcript.Count,
            Transcript = transcript,
            OccurredAt = at,
        }, context => context.MessageId = messageId);
        return sessionId;
    }

    /// <summary>Publishes a chat session's end with exactly these lines (their ids, roles and whether Memory may keep them).</summary>
    public Task EndSessionAsync(string userId, Guid sessionId, IReadOnlyList<TranscriptLine> transcript) =>
        Bus.Bus.Publish(new ChatSessionEnded
        {
            SessionId = sessionId,
            UserId = userId,
            Reason = "goodbye",
            StartedAt = transcript[0].At,
            EndedAt = transcript[^1].At,
            MessageCount = transcript.Count,
            Transcript = transcript,
            OccurredAt = transcript[^1].At,
        });

    /// <summary>Waits until the session's summary is written (the consumer commits everything at once).</summary>
    public Task WaitForSessionAsync(string userId, Guid sessionId) =>
        Eventually.GetAsync(() => WithDbAsync(db => Task.FromResult(db.Summaries.Any(s => s.UserId == userId && s.SessionId == sessionId))), found => found,
            because: $"session {sessionId} summarised");

    public async Task RememberAsync(string userId, params string[] userLines)
    {
        var session = await EndSessionAsync(userId, userLines);
        await WaitForSessionAsync(userId, session);
    }

    public Task PublishAsync<T>(T message) where T : class => Bus.Bus.Publish(message);

    protected override async Task BeforeDisposeAsync() => await Bus.DisposeAsync();
}

public static class Contracts
{
    public static GoalChanged Goal(string userId, Guid goalId, string title, int version, string status = "active") => new()
    {
        GoalId = goalId, UserId = userId, Change = version == 1 ? "created" : "updated", Title = title, Status = status, Importance = 3,
        Version = version, OccurredAt = DateTimeOffset.UtcNow,
    };

    public static HabitChanged Habit(string userId, Guid habitId, string title, Guid? goalId, int version = 1) => new()
    {
        HabitId = habitId, UserId = userId, Change = "created", Title = title, Cadence = "0 7 * * *", GoalId = goalId, Status = "active", Streak = 0,
        TimeZone = "UTC", Version = version, OccurredAt = DateTimeOffset.UtcNow,
    };

    public static EventChanged Event(string userId, Guid eventId, string title, string status, string? previous, int version, Guid? goalId = null) => new()
    {
        EventId = eventId, UserId = userId, Change = "status_changed", Type = "task", Title = title, Status = status, PreviousStatus = previous,
        AllDay = false, GoalId = goalId, TimeZone = "UTC", Version = version, OccurredAt = DateTimeOffset.UtcNow,
    };
}
