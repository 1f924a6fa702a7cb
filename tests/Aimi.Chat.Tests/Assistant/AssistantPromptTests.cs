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
        var block = AssistantPrompt.RememberBlock(["interview at Contoso\non Friday", "likes tea", "likes tea", " "]);

        Assert.Equal("Remember:\n- remember: interview at Contoso on Friday\n- remember: likes tea\n", block);
        Assert.Equal(["interview at Contoso on Friday", "likes tea"], AssistantPrompt.ParseRemembered("Intro\n" + block + "Habits:\n- x"));
        Assert.Empty(AssistantPrompt.ParseRemembered("no block"));
        Assert.Equal("", AssistantPrompt.RememberBlock([]));
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
