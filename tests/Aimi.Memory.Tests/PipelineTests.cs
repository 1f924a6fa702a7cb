using System.Net;
using System.Text.Json;
using Aimi.Contracts.Chat;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Memory.Tests;

public sealed class PipelineTests(MemoryHost host) : IClassFixture<MemoryHost>
{
    [Fact]
    public async Task A_new_value_of_a_single_valued_fact_supersedes_the_old_one_which_stays_history()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        await host.RememberAsync(user, "I live in Berlin and I work at Contoso.");
        host.Time.Advance(TimeSpan.FromDays(30));
        await host.RememberAsync(user, "Big news: I moved to Munich!");

        var current = await client.GetJsonAsync("/memory/facts");
        var lives = current.Items().Where(f => f.Str("predicate") == Predicates.LivesIn).ToList();
        Assert.Equal("Munich", Assert.Single(lives).Str("value"));
        Assert.Contains(current.Items(), f => f.Str("predicate") == Predicates.WorksAt && f.Str("value") == "Contoso");

        var history = await client.GetJsonAsync("/memory/facts?includeInactive=true");
        var berlin = Assert.Single(history.Items(), f => f.Str("value") == "Berlin");
        var munich = Assert.Single(history.Items(), f => f.Str("value") == "Munich");
        Assert.False(berlin.GetProperty("isActive").GetBoolean());
        Assert.Equal(munich.Str("id"), berlin.Str("supersededBy"));
        Assert.Equal(munich.GetProperty("validFrom").GetDateTimeOffset(), berlin.GetProperty("validTo").GetDateTimeOffset());

        var search = await client.GetJsonAsync("/memory/search?q=where%20do%20I%20live&k=10");
        Assert.False(search.Items().Any(h => h.Str("content").Contains("Berlin", StringComparison.Ordinal)), $"the old city came back as current: {search}");
        Assert.Contains(search.Items().Take(3), h => h.Str("content").Contains("Munich", StringComparison.Ordinal));

        var withHistory = await client.GetJsonAsync("/memory/search?q=where%20do%20I%20live&k=10&includeInactive=true");
        Assert.Contains(withHistory.Items(), h => h.Str("content").Contains("Berlin", StringComparison.Ordinal) && !h.GetProperty("isActive").GetBoolean());
    }

    [Fact]
    public async Task An_older_statement_imported_late_is_stored_as_history_not_as_current()
    {
        var user = TestAuth.NewUserId();
        await host.RememberAsync(user, "I work at Fabrikam now.");

        // The same predicate, said before the current fact became true (an imported old chat).
        var old = new Fact(Fact.TheUser, Predicates.WorksAt, "Contoso", "I work at Contoso", ["old-1"], host.Time.GetUtcNow().AddYears(-2));
        await using (var scope = host.Services.CreateAsyncScopeFor())
        {
            var writer = scope.Writer();
            await writer.ApplyFactAsync(user, old, new float[384].Select((_, i) => i == 0 ? 1f : 0f).ToArray(), null, host.Time.GetUtcNow(), default);
        }

        var facts = await host.ClientFor(user).GetJsonAsync("/memory/facts?includeInactive=true");
        var active = facts.Items().Where(f => f.Str("predicate") == Predicates.WorksAt && f.GetProperty("isActive").GetBoolean()).ToList();
        Assert.Equal("Fabrikam", Assert.Single(active).Str("value"));
        Assert.Contains(facts.Items(), f => f.Str("value") == "Contoso" && !f.GetProperty("isActive").GetBoolean());
    }

    [Fact]
    public async Task A_repeated_fact_reinforces_the_memory_instead_of_adding_a_row()
    {
        var user = TestAuth.NewUserId();
        await host.RememberAsync(user, "I love hiking.");
        await host.RememberAsync(user, "You know, I really love hiking!");
        await host.RememberAsync(user, "I like hiking, honestly.");

        var facts = await host.ClientFor(user).GetJsonAsync("/memory/facts?includeInactive=true");
        var hiking = Assert.Single(facts.Items(), f => f.Str("value") == "hiking");
        Assert.Equal(2, hiking.GetProperty("reinforcementCount").GetInt32());
        Assert.Equal(3, hiking.GetProperty("sourceMessageIds").GetArrayLength());
    }

    [Fact]
    public async Task Dislike_replaces_a_like_of_the_same_thing()
    {
        var user = TestAuth.NewUserId();
        await host.RememberAsync(user, "I like jazz.");
        host.Time.Advance(TimeSpan.FromDays(1));
        await host.RememberAsync(user, "Honestly, I don't like jazz anymore");

        var facts = await host.ClientFor(user).GetJsonAsync("/memory/facts");
        var jazz = Assert.Single(facts.Items(), f => f.Str("value").StartsWith("jazz", StringComparison.Ordinal));
        Assert.Equal(Predicates.Dislikes, jazz.Str("predicate"));
    }

    [Fact]
    public async Task A_redelivered_session_end_is_applied_once()
    {
        var user = TestAuth.NewUserId();
        var sessionId = Guid.NewGuid();
        var messageId = Guid.NewGuid();
        var republishedId = Guid.NewGuid();
        await host.EndSessionAsync(user, sessionId, messageId, "I'm preparing for an interview at Contoso.");
        await host.EndSessionAsync(user, sessionId, messageId, "I'm preparing for an interview at Contoso.");
        // The same session republished under a new message id (Chat's outbox retried after a lost confirm).
        await host.EndSessionAsync(user, sessionId, republishedId, "I'm preparing for an interview at Contoso.");

        // Each id is recorded as handled in the transaction that handled it; a repeat of an id waits on that row and
        // then finds it. Once both are recorded, nothing more can change.
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Set<ProcessedMessage>()
            .CountAsync(p => p.Consumer == "memory-chat-session-ended" && (p.MessageId == messageId || p.MessageId == republishedId))), n => n == 2);

        var (summaries, facts, states) = await host.WithDbAsync(async db => (
            await db.Summaries.CountAsync(s => s.UserId == user && s.SessionId == sessionId),
            await db.Memories.CountAsync(m => m.UserId == user && m.Kind == MemoryKind.Fact),
            await db.States.Where(s => s.UserId == user).Select(s => s.Version).SingleAsync()));
        Assert.Equal(1, summaries);
        Assert.Equal(1, facts);
        Assert.Equal(1, states);
    }

    [Fact]
    public async Task A_summarised_session_updates_user_state_and_announces_it()
    {
        var user = TestAuth.NewUserId();
        var goalId = Guid.NewGuid();
        await host.PublishAsync(Contracts.Goal(user, goalId, "Get a job at Contoso", 1));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Nodes.AnyAsync(n => n.UserId == user && n.ExternalId == goalId)), found => found);

        await host.RememberAsync(user, "I'm preparing for an interview at Contoso on Friday. I'm really stressed. I love coffee.");

        var state = await host.ClientFor(user).GetJsonAsync("/memory/state");
        Assert.Contains("interview at Contoso", state.Str("lastSummary"), StringComparison.Ordinal);
        Assert.Equal(Moods.Stressed, state.Str("mood"));
        Assert.Contains("likes coffee", state.GetProperty("preferences").Items().Select(p => p.GetString()));
        var goal = Assert.Single(state.GetProperty("activeGoals").Items());
        Assert.Equal(goalId, goal.GetProperty("goalId").GetGuid());
        Assert.True(goal.GetProperty("weight").GetDouble() > 1, "the goal came up in the session");

        var announced = await host.Bus.WaitForAsync<UserStateUpdated>(u => u.UserId == user && u.Reason == UserStateReasons.SessionSummarised);
        Assert.Equal(state.GetProperty("version").GetInt32(), announced[^1].Version);
        Assert.Equal(Moods.Stressed, announced[^1].Mood);
    }

    [Fact]
    public async Task The_context_names_what_memory_found_in_the_shape_chat_reads()
    {
        var user = TestAuth.NewUserId();
        await host.RememberAsync(user, "I'm preparing for an interview at Contoso on Friday.");

        var context = await host.ClientFor(user).GetJsonAsync("/memory/context");
        Assert.Contains("interview at Contoso", context.Str("summary"), StringComparison.Ordinal);
        Assert.Contains(context.GetProperty("facts").Items(), f => f.GetString()!.Contains("interview at Contoso", StringComparison.Ordinal));

        var turn = await host.ClientFor(user).GetJsonAsync("/memory/context?q=how%20should%20I%20get%20ready%20for%20the%20job%20interview");
        Assert.Contains(turn.GetProperty("memories").Items(), m => m.Str("content").Contains("interview at Contoso", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_context_lists_its_facts_again_with_ids_and_times_in_the_same_order()
    {
        var user = TestAuth.NewUserId();
        await host.RememberAsync(user, "I live in Porto and I work at Contoso.");
        host.Time.Advance(TimeSpan.FromDays(1));
        await host.RememberAsync(user, "I'm allergic to peanuts. I work at Contoso, still.");

        var context = await host.ClientFor(user).GetJsonAsync("/memory/context");
        var facts = context.GetProperty("facts").Items().Select(f => f.GetString()!).ToList();
        var items = context.GetProperty("factItems").Items().ToList();

        Assert.Equal(3, facts.Count);
        Assert.Equal(facts, items.Select(i => i.Str("content")));
        Assert.Equal(Predicates.WorksAt, items[0].Str("predicate"));
        Assert.Equal(1, items[0].GetProperty("reinforcementCount").GetInt32());
        var allergy = Assert.Single(items, i => i.Str("predicate") == Predicates.AllergicTo);
        Assert.Equal(("user", "peanuts", "fact"), (allergy.Str("subject"), allergy.Str("value"), allergy.Str("kind")));
        Assert.Equal(host.Time.GetUtcNow(), allergy.GetProperty("validFrom").GetDateTimeOffset(), TimeSpan.FromMinutes(1));
        var stored = await host.WithDbAsync(db => db.Memories.Where(m => m.UserId == user && m.Kind == MemoryKind.Fact).Select(m => m.Id).ToListAsync());
        Assert.Equal(stored.Order(), items.Select(i => i.GetProperty("id").GetGuid()).Order());
    }

    [Fact]
    public async Task A_second_allergy_is_a_fact_of_its_own_however_alike_its_sentence_reads()
    {
        var user = TestAuth.NewUserId();
        // One vector for both: an embedder that finds the two sentences alike must still not make them one fact.
        var vector = new float[384].Select((_, i) => i == 0 ? 1f : 0f).ToArray();
        await using (var scope = host.Services.CreateAsyncScopeFor())
        {
            var writer = scope.Writer();
            var now = host.Time.GetUtcNow();
            await writer.ApplyFactAsync(user, new Fact(Fact.TheUser, Predicates.AllergicTo, "cats", "I'm allergic to cats", ["a-1"], now), vector, null, now, default);
            await writer.ApplyFactAsync(user, new Fact(Fact.TheUser, Predicates.AllergicTo, "dogs", "I'm allergic to dogs", ["a-2"], now.AddMinutes(1)), vector, null, now, default);
            await writer.ApplyFactAsync(user, new Fact(Fact.TheUser, Predicates.AllergicTo, "Cats", "I'm allergic to cats!", ["a-3"], now.AddMinutes(2)), vector, null, now, default);
        }

        var facts = (await host.ClientFor(user).GetJsonAsync("/memory/facts?includeInactive=true")).Items().ToList();
        Assert.Equal(["cats", "dogs"], facts.Select(f => f.Str("value")).Order(StringComparer.Ordinal).ToArray());
        Assert.All(facts, f => Assert.True(f.GetProperty("isActive").GetBoolean()));
        Assert.Equal(["a-1", "a-3"], facts.Single(f => f.Str("value") == "cats").GetProperty("sourceMessageIds").Items().Select(i => i.GetString()!).ToArray());
    }

    [Fact]
    public async Task Classifying_a_message_answers_with_tags_mood_and_goal_and_weighs_the_goal()
    {
        var user = TestAuth.NewUserId();
        var goalId = Guid.NewGuid();
        await host.PublishAsync(Contracts.Goal(user, goalId, "Run a marathon", 1));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Nodes.AnyAsync(n => n.UserId == user && n.ExternalId == goalId)), found => found);
        var before = await host.WithDbAsync(db => db.Nodes.Where(n => n.ExternalId == goalId).Select(n => n.Weight).SingleAsync());

        var messageId = Guid.NewGuid();
        await host.PublishAsync(new ChatMessageRecorded
        {
            MessageId = messageId, SessionId = Guid.NewGuid(), UserId = user, Role = "user",
            Content = "I'm exhausted after today's marathon training run", At = host.Time.GetUtcNow(), OccurredAt = host.Time.GetUtcNow(),
        });

        var classified = Assert.Single(await host.Bus.WaitForAsync<MessageClassified>(m => m.MessageId == messageId));
        Assert.Equal(goalId, classified.GoalId);
        Assert.Equal(Moods.Tired, classified.Mood);
        Assert.Contains(Topics.Sport, classified.Tags);
        var after = await host.WithDbAsync(db => db.Nodes.Where(n => n.ExternalId == goalId).Select(n => n.Weight).SingleAsync());
        Assert.True(after > before);
    }

    [Fact]
    public async Task A_message_the_reading_finds_nothing_in_is_remembered_but_not_answered()
    {
        var user = TestAuth.NewUserId();
        var sessionId = Guid.NewGuid();
        var plain = host.ChatMessage(user, sessionId, "user", "ok, see you then");
        Assert.Empty(Lexicon.TopicsOf([plain.Content]));
        Assert.Null(Lexicon.MoodOf([plain.Content]));
        var topical = host.ChatMessage(user, sessionId, "user", "My boss moved the meeting again");

        await PublishThenAwaitEpisodesAsync(user, plain, topical);
        Assert.Contains(Topics.Work, Assert.Single(await host.Bus.WaitForAsync<MessageClassified>(m => m.MessageId == topical.MessageId)).Tags);
        // Its outbox row would have committed with its episode: a reading that says nothing is not sent to Chat.
        Assert.False(await host.ClassifiedAsync(plain.MessageId));
    }

    [Fact]
    public async Task The_assistants_reply_is_remembered_but_only_the_users_lines_are_read()
    {
        var user = TestAuth.NewUserId();
        var sessionId = Guid.NewGuid();
        var question = host.ChatMessage(user, sessionId, "user", "Can you move my work meeting?");
        var reply = host.ChatMessage(user, sessionId, "assistant", "Done: your work meeting with the boss is now on Friday, I hope it goes less stressful");
        Assert.NotEmpty(Lexicon.TopicsOf([reply.Content])); // the reply's words would be read as a topic

        await PublishThenAwaitEpisodesAsync(user, question, reply);
        Assert.Contains(Topics.Work, Assert.Single(await host.Bus.WaitForAsync<MessageClassified>(m => m.MessageId == question.MessageId)).Tags);
        // Its outbox row would have committed with its episode.
        Assert.False(await host.ClassifiedAsync(reply.MessageId));
    }

    /// <summary>Publishes the messages in order and waits until each is an episode of the user.</summary>
    private async Task PublishThenAwaitEpisodesAsync(string user, params ChatMessageRecorded[] messages)
    {
        foreach (var message in messages)
        {
            await host.PublishAsync(message);
        }
        await Eventually.GetAsync(() => host.EpisodesOfAsync(user), episodes => episodes.Count == messages.Length, because: "every line remembered");
    }
}

internal static class ScopeExtensions
{
    public static Microsoft.Extensions.DependencyInjection.AsyncServiceScope CreateAsyncScopeFor(this IServiceProvider services) =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.CreateAsyncScope(services);

    public static Aimi.Memory.Api.Data.MemoryWriter Writer(this Microsoft.Extensions.DependencyInjection.AsyncServiceScope scope) =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Aimi.Memory.Api.Data.MemoryWriter>(scope.ServiceProvider);
}
