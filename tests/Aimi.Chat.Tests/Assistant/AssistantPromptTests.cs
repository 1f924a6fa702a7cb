using Aimi.AI;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Assistant.Local;
using System.Globalization;
using Xunit;

namespace Aimi.Chat.Tests.Assistant;

public sealed class AssistantPromptTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void Current_time_line_shows_the_instant_in_the_users_timezone_and_parses_back()
    {
        var now = DateTimeOffset.Parse("2026-11-24T08:00:00Z", CultureInfo.InvariantCulture);

        var line = AssistantPrompt.CurrentTimeLine(now, Berlin);

        Assert.Equal("Current time: 2026-11-24T09:00:00+01:00 (Europe/Berlin)", line);
        Assert.True(AssistantPrompt.TryParseCurrentTime("Some prompt\n" + line + "\nmore", out var parsed, out var zone));
        Assert.Equal(now, parsed);
        Assert.Equal(TimeSpan.FromHours(1), parsed.Offset);
        Assert.Equal("Europe/Berlin", zone.Id);
    }

    [Theory]
    [InlineData("no time here")]
    [InlineData("Current time: yesterday (Europe/Berlin)")]
    [InlineData("Current time: 2026-11-24T09:00:00+01:00 (Mars/Olympus)")]
    public void A_missing_or_broken_time_line_is_not_parsed(string prompt)
    {
        Assert.False(AssistantPrompt.TryParseCurrentTime(prompt, out _, out _));
    }

    [Fact]
    public void The_remember_block_round_trips_one_line_each_and_once()
    {
        var said = new DateOnly(2026, 5, 3);
        var block = AssistantPrompt.RememberBlock(
        [
            new("I have an interview at Contoso\non Friday", "episode", said),
            new("I like tea", "fact", null, "likes"),
            new("I like tea", "fact", null, "likes"),
            new(" ", "fact"),
            new("Sam [my brother]: lives in Oslo", "fact", said, "lives_in"),
        ]);

        Assert.Equal(
            "Remember:\n- remember [episode, 2026-05-03]: I have an interview at Contoso on Friday\n- remember [fact:likes]: I like tea\n"
            + "- remember [fact:lives_in, 2026-05-03]: Sam [my brother]: lives in Oslo\n",
            block);
        Assert.Equal(
            [
                new RememberedItem("I have an interview at Contoso on Friday", "episode", said),
                new RememberedItem("I like tea", "fact", null, "likes"),
                new RememberedItem("Sam [my brother]: lives in Oslo", "fact", said, "lives_in"),
            ],
            AssistantPrompt.ParseRemembered("Intro\n" + block + "Habits:\n- x"));
        Assert.Empty(AssistantPrompt.ParseRemembered("no block"));
        Assert.Equal("", AssistantPrompt.RememberBlock([]));
    }

    [Fact]
    public void Goals_and_forget_candidates_round_trip()
    {
        var goal = Guid.NewGuid();
        var goals = AssistantPrompt.ActiveGoalsBlock([(goal, "Run a marathon\n(finally)", 3, new DateOnly(2027, 4, 1)), (Guid.NewGuid(), "Read more", 1, null)]);
        Assert.Equal($"Active goals:\n- [{goal:D}] Run a marathon (finally) (importance 3, due 2027-04-01)\n", goals[..goals.IndexOf("- [", 20, StringComparison.Ordinal)]);
        Assert.Equal(["Run a marathon (finally)", "Read more"], AssistantPrompt.ParseActiveGoals("x\n" + goals + "Habits:\n"));

        var candidate = new ForgetCandidate(Guid.NewGuid(), "I live in Berlin\nnow");
        var block = AssistantPrompt.ForgetCandidatesBlock([candidate]);
        Assert.Equal([candidate with { Content = "I live in Berlin now" }], AssistantPrompt.ParseForgetCandidates("Intro\n" + block));
        Assert.Empty(AssistantPrompt.ParseForgetCandidates("Intro"));
    }

    [Fact]
    public void Pending_items_round_trip_and_stay_one_per_line()
    {
        var first = new PendingItem(Guid.NewGuid(), "Call mom\n(really)", "pending_confirmation", DateTimeOffset.Parse("2026-11-25T17:00:00Z", CultureInfo.InvariantCulture));
        var second = new PendingItem(Guid.NewGuid(), "Stretch", "awaiting_feedback", null);

        var block = AssistantPrompt.PendingItemsBlock([first, second], Berlin);
        var parsed = AssistantPrompt.ParsePendingItems("Intro\n" + block + "\nOther section");

        Assert.Equal($"Pending items:\n- [{first.Id}] Call mom (really) (pending_confirmation, 2026-11-25T18:00:00+01:00)\n- [{second.Id}] Stretch (awaiting_feedback)\n", block);
        Assert.Equal([first with { Title = "Call mom (really)" }, second], parsed);
        Assert.Equal(TimeSpan.FromHours(1), parsed[0].LocalTime!.Value.Offset);
        Assert.Equal("", AssistantPrompt.PendingItemsBlock([], Berlin));
        Assert.Empty(AssistantPrompt.ParsePendingItems("nothing pending"));
    }
}
