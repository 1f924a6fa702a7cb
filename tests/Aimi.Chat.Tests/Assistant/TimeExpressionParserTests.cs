using Aimi.AI;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Assistant.Local;
using System.Globalization;
using Xunit;

namespace Aimi.Chat.Tests.Assistant;

public sealed class TimeExpressionParserTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    // Tuesday morning in Berlin.
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-24T09:00:00+01:00", CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("remind me to call mom tomorrow at 6pm", "2026-11-25T18:00:00+01:00")]
    [InlineData("tomorrow at 18:00", "2026-11-25T18:00:00+01:00")]
    [InlineData("Tomorrow at 6:30 PM", "2026-11-25T18:30:00+01:00")]
    [InlineData("at 8am", "2026-11-25T08:00:00+01:00")]
    [InlineData("at 10:30", "2026-11-24T10:30:00+01:00")]
    [InlineData("in 2 hours", "2026-11-24T11:00:00+01:00")]
    [InlineData("in 30 minutes", "2026-11-24T09:30:00+01:00")]
    [InlineData("in half an hour", "2026-11-24T09:30:00+01:00")]
    [InlineData("in an hour", "2026-11-24T10:00:00+01:00")]
    [InlineData("in 3 days", "2026-11-27T09:00:00+01:00")]
    [InlineData("on Friday at 9am", "2026-11-27T09:00:00+01:00")]
    [InlineData("next monday at 7 in the evening", "2026-11-30T19:00:00+01:00")]
    [InlineData("the day after tomorrow at noon", "2026-11-26T12:00:00+01:00")]
    [InlineData("on 3 December at 14:15", "2026-12-03T14:15:00+01:00")]
    [InlineData("december 3rd at 2pm", "2026-12-03T14:00:00+01:00")]
    [InlineData("2026-12-01 at 09:00", "2026-12-01T09:00:00+01:00")]
    [InlineData("tonight", "2026-11-24T20:00:00+01:00")]
    [InlineData("tomorrow morning", "2026-11-25T09:00:00+01:00")]
    [InlineData("this Tuesday at 5pm", "2026-11-24T17:00:00+01:00")]
    [InlineData("on Tuesday", null)]
    public void English_instants(string text, string? expected)
    {
        var result = TimeExpressionParser.Parse(text, Now, Berlin);

        Assert.Equal(expected, result.At is { } at ? Iso(at) : null);
    }

    [Theory]
    [InlineData("напомни позвонить маме завтра в 18:00", "2026-11-25T18:00:00+01:00")]
    [InlineData("в пятницу в 9 утра", "2026-11-27T09:00:00+01:00")]
    [InlineData("через 2 часа", "2026-11-24T11:00:00+01:00")]
    [InlineData("через час", "2026-11-24T10:00:00+01:00")]
    [InlineData("через полчаса", "2026-11-24T09:30:00+01:00")]
    [InlineData("через 15 минут", "2026-11-24T09:15:00+01:00")]
    [InlineData("через два дня", "2026-11-26T09:00:00+01:00")]
    [InlineData("в 6 вечера", "2026-11-24T18:00:00+01:00")]
    [InlineData("послезавтра в 7:30", "2026-11-26T07:30:00+01:00")]
    [InlineData("5 декабря в 3 дня", "2026-12-05T15:00:00+01:00")]
    [InlineData("в понедельник вечером", "2026-11-30T19:00:00+01:00")]
    [InlineData("во вторник в 10", "2026-11-24T10:00:00+01:00")]
    [InlineData("сегодня в 2 ночи", "2026-11-24T02:00:00+01:00")]
    [InlineData("завтра в полдень", "2026-11-25T12:00:00+01:00")]
    [InlineData("в 8", "2026-11-25T08:00:00+01:00")]
    public void Russian_instants(string text, string expected)
    {
        var result = TimeExpressionParser.Parse(text, Now, Berlin);

        Assert.Equal(expected, result.At is { } at ? Iso(at) : null);
    }

    [Theory]
    [InlineData("on 20 november", "2027-11-20")]
    [InlineData("on 1 december", "2026-12-01")]
    [InlineData("25 ноября", "2026-11-25")]
    [InlineData("на пятницу", "2026-11-27")]
    [InlineData("move it to Friday", "2026-11-27")]
    [InlineData("25.12", "2026-12-25")]
    public void Dates_without_a_time_resolve_the_day_only(string text, string expectedDate)
    {
        var result = TimeExpressionParser.Parse(text, Now, Berlin);

        Assert.Null(result.At);
        Assert.Equal(DateOnly.Parse(expectedDate, CultureInfo.InvariantCulture), result.Date);
    }

    [Theory]
    [InlineData("every weekday at 7", "0 7 * * 1-5")]
    [InlineData("every day at 21:30", "30 21 * * *")]
    [InlineData("every Monday at 6pm", "0 18 * * 1")]
    [InlineData("daily at 8am", "0 8 * * *")]
    [InlineData("every morning", "0 8 * * *")]
    [InlineData("каждый будний день в 7", "0 7 * * 1-5")]
    [InlineData("по выходным в 10 утра", "0 10 * * 0,6")]
    [InlineData("каждый понедельник в 8:15", "15 8 * * 1")]
    [InlineData("ежедневно в 22:00", "0 22 * * *")]
    [InlineData("по пятницам в 6 вечера", "0 18 * * 5")]
    public void Recurrences_become_cron_cadences(string text, string cron)
    {
        var result = TimeExpressionParser.Parse(text, Now, Berlin);

        Assert.Equal(cron, result.Cadence);
        Assert.Null(result.At);
    }

    [Theory]
    [InlineData("move it by an hour", "01:00:00")]
    [InlineData("push it 30 minutes later", "00:30:00")]
    [InlineData("postpone by 2 days", "2.00:00:00")]
    [InlineData("перенеси на час", "01:00:00")]
    [InlineData("отложи на 2 часа", "02:00:00")]
    [InlineData("сдвинь на полчаса", "00:30:00")]
    public void Shifts(string text, string expected)
    {
        var result = TimeExpressionParser.Parse(text, Now, Berlin);

        Assert.Equal(TimeSpan.Parse(expected, CultureInfo.InvariantCulture), result.Shift);
        Assert.Null(result.At);
    }

    [Theory]
    // Autumn: Berlin leaves summer time on Sunday 2026-10-25 at 03:00 (+02:00 -> +01:00).
    [InlineData("2026-10-24T10:00:00+02:00", "tomorrow at 18:00", "2026-10-25T18:00:00+01:00")]
    [InlineData("2026-10-24T10:00:00+02:00", "in 24 hours", "2026-10-25T09:00:00+01:00")]
    [InlineData("2026-10-24T10:00:00+02:00", "in 1 day", "2026-10-25T10:00:00+01:00")]
    [InlineData("2026-10-24T10:00:00+02:00", "через 3 часа", "2026-10-24T13:00:00+02:00")]
    // Spring: 2026-03-29 02:00 jumps to 03:00; a wall-clock time in the gap moves forward.
    [InlineData("2026-03-28T12:00:00+01:00", "tomorrow at 9", "2026-03-29T09:00:00+02:00")]
    [InlineData("2026-03-28T12:00:00+01:00", "tomorrow at 2:30", "2026-03-29T03:30:00+02:00")]
    [InlineData("2026-03-28T23:30:00+01:00", "in 3 hours", "2026-03-29T03:30:00+02:00")]
    // Near midnight: "tomorrow" is the user's tomorrow, whatever the UTC date.
    [InlineData("2026-11-24T23:30:00+01:00", "tomorrow at 9", "2026-11-25T09:00:00+01:00")]
    [InlineData("2026-11-24T23:30:00+01:00", "at 8am", "2026-11-25T08:00:00+01:00")]
    [InlineData("2026-11-24T23:30:00+01:00", "in 1 hour", "2026-11-25T00:30:00+01:00")]
    [InlineData("2026-11-24T23:15:00+00:00", "tomorrow at 9", "2026-11-26T09:00:00+01:00")]
    [InlineData("2026-11-24T23:15:00+00:00", "завтра в 9 утра", "2026-11-26T09:00:00+01:00")]
    [InlineData("2026-11-25T00:15:00+01:00", "today at 18:00", "2026-11-25T18:00:00+01:00")]
    public void Daylight_saving_and_midnight(string now, string text, string expected)
    {
        var result = TimeExpressionParser.Parse(text, DateTimeOffset.Parse(now, CultureInfo.InvariantCulture), Berlin);

        Assert.Equal(expected, result.At is { } at ? Iso(at) : null);
    }

    [Fact]
    public void Another_timezone_uses_its_own_wall_clock()
    {
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        var now = DateTimeOffset.Parse("2026-11-24T09:00:00+00:00", CultureInfo.InvariantCulture); // 18:00 in Tokyo

        Assert.Equal("2026-11-24T20:00:00+09:00", Iso(TimeExpressionParser.Parse("at 8pm", now, tokyo).At!.Value));
        Assert.Equal("2026-11-25T08:00:00+09:00", Iso(TimeExpressionParser.Parse("at 8am", now, tokyo).At!.Value));
    }

    [Theory]
    [InlineData("remind me to call mom tomorrow at 6pm", "remind me to call mom")]
    [InlineData("напомни позвонить маме завтра в 18:00", "напомни позвонить маме")]
    [InlineData("every weekday at 7 go for a run", "go for a run")]
    [InlineData("hello there", "hello there")]
    public void Remainder_is_the_text_without_the_expressions(string text, string remainder)
    {
        Assert.Equal(remainder, TimeExpressionParser.Parse(text, Now, Berlin).Remainder);
    }

    [Theory]
    [InlineData("hello there")]
    [InlineData("I feel great")]
    [InlineData("как дела?")]
    public void Text_without_time_is_empty(string text)
    {
        Assert.True(TimeExpressionParser.Parse(text, Now, Berlin).IsEmpty);
    }

    private static string Iso(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
