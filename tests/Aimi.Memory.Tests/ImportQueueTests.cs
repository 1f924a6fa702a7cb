using System.Globalization;
using System.Net;
using Aimi.Memory.Api.Domain;
using Aimi.Memory.Api.Workers;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary>Memory with its import worker's loop stopped: the tests run the queue themselves, one import at a time, in the worker's order.</summary>
public sealed class ImportQueueHost : MemoryHost
{
    public const int MaxBytesPerDay = 10_000;

    public ImportWorker Worker => Services.GetRequiredService<ImportWorker>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Worker.StopAsync(CancellationToken.None);
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        .. base.ExtraSettings(),
        new("Memory:Import:MaxBytesPerDay", MaxBytesPerDay.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>Runs the worker until nothing is queued; returns how many passes found an import.</summary>
    public async Task<int> DrainAsync()
    {
        var passes = 0;
        while (await Worker.ProcessOneAsync(CancellationToken.None))
        {
            passes++;
        }
        return passes;
    }
}

public sealed class ImportQueueTests(ImportQueueHost host) : IClassFixture<ImportQueueHost>
{
    [Fact]
    public async Task Imports_beyond_the_queued_limit_are_429_with_retry_after_and_nothing_is_stored()
    {
        await host.DrainAsync();
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        for (var i = 0; i < 5; i++)
        {
            (await client.PostJsonAsync("/memory/conversations", Conversation($"waiting-{i}", "hello"))).EnsureSuccessStatusCode();
        }

        using var refused = await client.PostJsonAsync("/memory/conversations", Conversation("one-too-many", "hello"));

        var problem = await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, refused.Headers.ToString());
        Assert.True(problem.GetProperty("retryAfter").GetInt32() > 0);
        Assert.False(await host.WithDbAsync(db => db.Imports.AnyAsync(i => i.UserId == user && i.ConversationId == "one-too-many")));
        Assert.Equal(5, await host.WithDbAsync(db => db.Imports.CountAsync(i => i.UserId == user)));
        // Sending a waiting one again is still the idempotent 202, and once the queue moves there is room.
        (await client.PostJsonAsync("/memory/conversations", Conversation("waiting-0", "hello"))).EnsureSuccessStatusCode();
        await host.DrainAsync();
        (await client.PostJsonAsync("/memory/conversations", Conversation("one-too-many", "hello"))).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_days_import_volume_is_capped_until_the_earlier_imports_leave_the_24_hours()
    {
        await host.DrainAsync();
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        var line = new string('a', 4000);
        (await client.PostJsonAsync("/memory/conversations", Conversation("morning", line, line))).EnsureSuccessStatusCode();
        await host.DrainAsync();
        host.Time.Advance(TimeSpan.FromHours(1));

        using var refused = await client.PostJsonAsync("/memory/conversations", Conversation("evening", line));

        await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        // 8,000 of the 10,000 bytes went an hour ago: room for 4,000 more when they leave the day, in 23 hours.
        Assert.Equal(TimeSpan.FromHours(23), refused.Headers.RetryAfter?.Delta);
        Assert.False(await host.WithDbAsync(db => db.Imports.AnyAsync(i => i.UserId == user && i.ConversationId == "evening")));
        host.Time.Advance(TimeSpan.FromHours(23));
        (await client.PostJsonAsync("/memory/conversations", Conversation("evening", line))).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Users_take_turns_so_one_users_queue_does_not_hold_up_anothers_import()
    {
        await host.DrainAsync();
        var (a, b, c) = (TestAuth.NewUserId(), TestAuth.NewUserId(), TestAuth.NewUserId());
        for (var i = 0; i < 5; i++)
        {
            (await host.ClientFor(a).PostJsonAsync("/memory/conversations", Conversation($"a-{i}", $"note {i}"))).EnsureSuccessStatusCode();
            host.Time.Advance(TimeSpan.FromSeconds(1));
        }
        (await host.ClientFor(b).PostJsonAsync("/memory/conversations", Conversation("b-0", "I work at Northwind."))).EnsureSuccessStatusCode();
        host.Time.Advance(TimeSpan.FromSeconds(1));
        (await host.ClientFor(c).PostJsonAsync("/memory/conversations", Conversation("c-0", "I love climbing."))).EnsureSuccessStatusCode();

        var order = new List<string>();
        while (await host.Worker.ProcessOneAsync(CancellationToken.None))
        {
            var ended = await host.WithDbAsync(db => db.Imports.Where(i => (i.UserId == a || i.UserId == b || i.UserId == c) && i.Status != ImportStatus.Queued)
                .Select(i => i.ConversationId).ToListAsync());
            order.Add(Assert.Single(ended.Except(order)));
        }

        // A's first import was already A's turn; B and C, who queued after all of A's, come next, then A's others in order.
        Assert.Equal(["a-0", "b-0", "c-0", "a-1", "a-2", "a-3", "a-4"], order);
        // Processed: the transcripts are gone, the status stays readable.
        Assert.True(await host.WithDbAsync(db => db.Imports.Where(i => i.UserId == a || i.UserId == b || i.UserId == c).AllAsync(i => i.Transcript == null)));
        var status = await host.ClientFor(b).GetJsonAsync("/memory/conversations/b-0");
        Assert.Equal("processed", status.Str("status"));
        Assert.Equal(1, status.GetProperty("messageCount").GetInt32());
        Assert.NotEmpty((await host.ClientFor(b).GetJsonAsync("/memory/search?q=Northwind")).Items());
    }

    [Fact]
    public async Task An_import_that_fails_for_good_keeps_its_error_but_not_its_transcript()
    {
        await host.DrainAsync();
        var user = TestAuth.NewUserId();
        // A transcript the worker cannot read: every attempt fails.
        await host.WithDbAsync(db => db.Database.ExecuteSqlAsync($"""
            INSERT INTO conversation_imports (id, user_id, conversation_id, status, transcript, message_count, attempts, created_at)
            VALUES ({Guid.CreateVersion7()}, {user}, 'broken', 'queued', '"not a transcript"'::jsonb, 1, 0, {host.Time.GetUtcNow()})
            """));

        Assert.Equal(3, await host.DrainAsync()); // Memory:Import:MaxAttempts

        var status = await host.ClientFor(user).GetJsonAsync("/memory/conversations/broken");
        Assert.Equal("failed", status.Str("status"));
        Assert.Contains("JsonException", status.Str("error"), StringComparison.Ordinal);
        var import = await host.WithDbAsync(db => db.Imports.AsNoTracking().SingleAsync(i => i.UserId == user));
        Assert.Null(import.Transcript);
        Assert.Equal(3, import.Attempts);
    }

    /// <summary>
    /// A long import says one short line again after more lines than the embedding cache keeps (512): the repeat used to replace the
    /// first line's pending embedding, which then never completed, so the import hung inside its transaction for ever.
    /// </summary>
    [Fact]
    public async Task A_long_import_that_repeats_a_line_far_apart_is_processed_with_an_episode_for_each_line()
    {
        await host.DrainAsync();
        var user = TestAuth.NewUserId();
        var lines = Enumerable.Range(0, 600).Select(i => i % 599 == 0 ? "haha" : $"n{i}").ToArray();
        (await host.ClientFor(user).PostJsonAsync("/memory/conversations", Conversation("long", lines))).EnsureSuccessStatusCode();

        Assert.True(await host.Worker.ProcessOneAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal("processed", (await host.ClientFor(user).GetJsonAsync("/memory/conversations/long")).Str("status"));
        var episodes = await host.WithDbAsync(db => db.Memories.AsNoTracking()
            .Where(m => m.UserId == user && m.Kind == MemoryKind.Episode).Select(m => new { m.Content, m.Embedding }).ToListAsync());
        Assert.Equal(600, episodes.Count);
        var repeated = episodes.Where(e => e.Content == "haha").ToList();
        Assert.Equal(2, repeated.Count);
        Assert.Equal(repeated[0].Embedding.ToArray(), repeated[1].Embedding.ToArray());
    }

    private static object Conversation(string id, params string[] lines)
    {
        var at = DateTimeOffset.Parse("2025-01-01T09:00:00Z", CultureInfo.InvariantCulture);
        return new
        {
            conversationId = id,
            messages = lines.Select((content, i) => new { id = $"{id}-m{i}", role = "user", content, createdAt = at.AddMinutes(i) }).ToArray(),
        };
    }
}
