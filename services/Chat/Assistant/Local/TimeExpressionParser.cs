using System.Globalization;
using System.Text.RegularExpressions;

namespace Aimi.Chat.Api.Assistant.Local;

/// <summary>
/// Finds dates, times, durations and recurrences in English and Russian text and resolves them in the user's timezone
/// against a given "now" (never the clock): "tomorrow at 6pm", "в пятницу в 9 утра", "через 2 часа", "every weekday at 7",
/// "каждый будний день в 7", "move it by an hour", "перенеси на час", "25 ноября", "2026-12-01".
/// </summary>
public static partial class TimeExpressionParser
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    private const string NumberEn = @"\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|forty-five";
    private const string NumberRu = @"\d+|один|одну|одна|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|одиннадцать|двенадцать|пятнадцать|двадцать|тридцать|сорок|сорок пять";
    private const string UnitEn = @"minutes?|mins?|hours?|hrs?|days?|weeks?";
    private const string UnitRu = @"минут[уы]?|мин|час(?:а|ов)?|дн(?:я|ей)|день|сут(?:ки|ок)|недел[юиь]";

    private static readonly Dictionary<string, int> Numbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["a"] = 1, ["an"] = 1, ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7,
        ["eight"] = 8, ["nine"] = 9, ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["fifteen"] = 15, ["twenty"] = 20,
        ["thirty"] = 30, ["forty"] = 40, ["forty-five"] = 45,
        ["один"] = 1, ["одну"] = 1, ["одна"] = 1, ["два"] = 2, ["две"] = 2, ["три"] = 3, ["четыре"] = 4, ["пять"] = 5,
        ["шесть"] = 6, ["семь"] = 7, ["восемь"] = 8, ["девять"] = 9, ["десять"] = 10, ["одиннадцать"] = 11,
        ["двенадцать"] = 12, ["пятнадцать"] = 15, ["двадцать"] = 20, ["тридцать"] = 30, ["сорок"] = 40, ["сорок пять"] = 45,
    };

    private static readonly (string Stem, DayOfWeek Day)[] WeekdayStems =
    [
        ("monday", DayOfWeek.Monday), ("tuesday", DayOfWeek.Tuesday), ("wednesday", DayOfWeek.Wednesday),
        ("thursday", DayOfWeek.Thursday), ("friday", DayOfWeek.Friday), ("saturday", DayOfWeek.Saturday), ("sunday", DayOfWeek.Sunday),
        ("понедельн", DayOfWeek.Monday), ("вторн", DayOfWeek.Tuesday), ("сред", DayOfWeek.Wednesday), ("четверг", DayOfWeek.Thursday),
        ("пятниц", DayOfWeek.Friday), ("суббот", DayOfWeek.Saturday), ("воскресен", DayOfWeek.Sunday),
    ];

    private static readonly string[] MonthStems =
    [
        "jan|январ", "feb|феврал", "mar|март", "apr|апрел", "may|ма[яй]", "jun|июн", "jul|июл", "aug|август", "sep|сентябр",
        "oct|октябр", "nov|ноябр", "dec|декабр",
    ];

    /// <summary>Parses <paramref name="text"/>; <paramref name="now"/> is any offset, it is converted to <paramref name="timeZone"/>.</summary>
    public static TimeExpression Parse(string text, DateTimeOffset now, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(timeZone);
        var localNow = TimeZoneInfo.ConvertTime(now, timeZone);
        var today = DateOnly.FromDateTime(localNow.DateTime);
        var work = text;

        // Recurrence first, so "every monday" is not read as a single Monday.
        string? daysOfWeek = null;
        TimeOnly? recurrenceDefault = null;
        if (Take(ref work, RecurrencePattern()) is { } recurrence)
        {
            (daysOfWeek, recurrenceDefault) = ReadRecurrence(recurrence);
        }

        // Relative offsets ("in 2 hours", "через полчаса").
        TimeSpan? relative = null;
        bool relativeIsCalendar = false;
        if (Take(ref work, RelativeEnPattern()) is { } relEn)
        {
            (relative, relativeIsCalendar) = ReadSpan(relEn.Groups["n"].Value, relEn.Groups["unit"].Value, relEn.Groups["half"].Success);
        }
        else if (Take(ref work, RelativeRuPattern()) is { } relRu)
        {
            (relative, relativeIsCalendar) = ReadSpan(relRu.Groups["n"].Value, relRu.Groups["unit"].Value, relRu.Groups["half"].Success);
        }

        // Shifts ("by an hour", "на 2 часа", "на полчаса позже").
        TimeSpan? shift = null;
        if (Take(ref work, ShiftEnPattern()) is { } shiftEn)
        {
            shift = ReadSpan(shiftEn.Groups["n"].Value, shiftEn.Groups["unit"].Value, shiftEn.Groups["half"].Success).Span;
        }
        else if (Take(ref work, ShiftRuPattern()) is { } shiftRu)
        {
            shift = ReadSpan(shiftRu.Groups["n"].Value, shiftRu.Groups["unit"].Value, shiftRu.Groups["half"].Success).Span;
        }

        // Dates.
        DateOnly? date = null;
        DayOfWeek? weekday = null;
        if (Take(ref work, IsoDatePattern()) is { } iso
            && DateOnly.TryParseExact(iso.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var isoDate))
        {
            date = isoDate;
        }
        else if (Take(ref work, DayMonthNamePattern()) is { } dmn)
        {
            date = ResolveDayMonth(today, int.Parse(dmn.Groups["d"].Value, CultureInfo.InvariantCulture), MonthFromName(dmn.Groups["mon"].Value), null);
        }
        else if (Take(ref work, MonthNameDayPattern()) is { } mnd)
        {
            date = ResolveDayMonth(today, int.Parse(mnd.Groups["d"].Value, CultureInfo.InvariantCulture), MonthFromName(mnd.Groups["mon"].Value), null);
        }
        else if (Take(ref work, NumericDatePattern()) is { } num)
        {
            int? year = num.Groups["y"].Success ? int.Parse(num.Groups["y"].Value, CultureInfo.InvariantCulture) : null;
            date = ResolveDayMonth(today, int.Parse(num.Groups["d"].Value, CultureInfo.InvariantCulture), int.Parse(num.Groups["m"].Value, CultureInfo.InvariantCulture), year is < 100 ? year + 2000 : year);
        }
        else if (Take(ref work, DayAfterTomorrowPattern()) is not null)
        {
            date = today.AddDays(2);
        }
        else if (Take(ref work, TomorrowPattern()) is not null)
        {
            date = today.AddDays(1);
        }
        else if (Take(ref work, TodayPattern()) is not null)
        {
            date = today;
        }
        else if (daysOfWeek is null && Take(ref work, WeekdayPattern()) is { } wd)
        {
            weekday = WeekdayFromName(wd.Groups["day"].Value);
        }

        // Clock times.
        TimeOnly? time = null;
        if (Take(ref work, AmPmPattern()) is { } ampm)
        {
            var hour = int.Parse(ampm.Groups["h"].Value, CultureInfo.InvariantCulture) % 12;
            var pm = ampm.Groups["ampm"].Value.StartsWith('p') || ampm.Groups["ampm"].Value.StartsWith('P');
            time = MakeTime(pm ? hour + 12 : hour, ampm.Groups["m"]);
        }
        else if (Take(ref work, RuClockPattern()) is { } ru)
        {
            var hour = int.Parse(ru.Groups["h"].Value, CultureInfo.InvariantCulture);
            hour = ru.Groups["part"].Value.ToLowerInvariant() switch
            {
                "дня" or "вечера" when hour < 12 => hour + 12,
                "ночи" when hour == 12 => 0,
                "ночи" when hour >= 6 && hour < 12 => hour + 12,
                _ => hour,
            };
            time = MakeTime(hour, ru.Groups["m"]);
        }
        else if (Take(ref work, AtClockPattern()) is { } at)
        {
            time = MakeTime(int.Parse(at.Groups["h"].Value, CultureInfo.InvariantCulture), at.Groups["m"]);
        }
        else if (Take(ref work, BareClockPattern()) is { } bare)
        {
            time = MakeTime(int.Parse(bare.Groups["h"].Value, CultureInfo.InvariantCulture), bare.Groups["m"]);
        }
        else if (Take(ref work, NoonPattern()) is not null)
        {
            time = new TimeOnly(12, 0);
        }
        else if (Take(ref work, MidnightPattern()) is not null)
        {
            time = new TimeOnly(0, 0);
        }

        // Parts of the day make "at 7 in the evening" 19:00, and stand in for a time when none was given.
        if (Take(ref work, PartOfDayPattern()) is { } part)
        {
            var (defaultTime, afternoon) = ReadPartOfDay(part.Value);
            if (time is null)
            {
                time = defaultTime;
            }
            else if (afternoon && time.Value.Hour is >= 1 and < 12)
            {
                time = time.Value.AddHours(12);
            }

            if (part.Value.Contains("tonight", StringComparison.OrdinalIgnoreCase))
            {
                date ??= today;
            }
        }

        var remainder = Tidy(work);

        if (daysOfWeek is not null)
        {
            var cadenceTime = time ?? recurrenceDefault ?? new TimeOnly(9, 0);
            return new TimeExpression
            {
                Cadence = string.Create(CultureInfo.InvariantCulture, $"{cadenceTime.Minute} {cadenceTime.Hour} * * {daysOfWeek}"),
                TimeOfDay = cadenceTime,
                Shift = shift,
                Remainder = remainder,
            };
        }

        if (relative is { } span)
        {
            if (!relativeIsCalendar)
            {
                var instant = TimeZoneInfo.ConvertTime(now + span, timeZone);
                return new TimeExpression { At = instant, Date = DateOnly.FromDateTime(instant.DateTime), DateIsExplicit = true, TimeOfDay = TimeOnly.FromDateTime(instant.DateTime), Shift = shift, Remainder = remainder };
            }

            // Whole days keep the wall-clock time (or the one named), so they stay right across a DST change.
            date = today.AddDays((int)span.TotalDays);
            time ??= TimeOnly.FromDateTime(localNow.DateTime);
        }

        if (weekday is { } day)
        {
            var ahead = ((int)day - (int)today.DayOfWeek + 7) % 7;
            if (ahead == 0 && (time is null || time.Value <= TimeOnly.FromDateTime(localNow.DateTime)))
            {
                ahead = 7;
            }

            date = today.AddDays(ahead);
        }

        var explicitDate = date is not null;
        if (time is { } clock && date is null)
        {
            // A bare time means its next occurrence: later today, else tomorrow.
            date = clock > TimeOnly.FromDateTime(localNow.DateTime) ? today : today.AddDays(1);
        }

        DateTimeOffset? resolved = date is { } d && time is { } t ? ToInstant(d, t, timeZone) : null;
        return new TimeExpression { At = resolved, Date = date, DateIsExplicit = explicitDate, TimeOfDay = time, Shift = shift, Remainder = remainder };
    }

    /// <summary>The instant of a wall-clock time on a date in a timezone; a time skipped by DST moves forward an hour.</summary>
    public static DateTimeOffset ToInstant(DateOnly date, TimeOnly time, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        if (timeZone.IsInvalidTime(local))
        {
            local = local.AddHours(1);
        }

        return new DateTimeOffset(local, timeZone.GetUtcOffset(local));
    }

    private static Match? Take(ref string work, Regex pattern)
    {
        var match = pattern.Match(work);
        if (!match.Success)
        {
            return null;
        }

        work = string.Concat(work.AsSpan(0, match.Index), " ", work.AsSpan(match.Index + match.Length));
        return match;
    }

    private static string Tidy(string text) =>
        SpacesPattern().Replace(text, " ").Trim().Trim(',', ';', ':', '-', '—', ' ').Trim();

    private static TimeOnly? MakeTime(int hour, Group minutes)
    {
        var minute = minutes.Success ? int.Parse(minutes.Value, CultureInfo.InvariantCulture) : 0;
        return hour is >= 0 and < 24 && minute is >= 0 and < 60 ? new TimeOnly(hour, minute) : null;
    }

    private static (TimeSpan Span, bool Calendar) ReadSpan(string number, string unit, bool half)
    {
        if (half && string.IsNullOrEmpty(unit))
        {
            return (TimeSpan.FromMinutes(30), false);
        }

        var n = string.IsNullOrWhiteSpace(number)
            ? 1
            : int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var digits) ? digits : Numbers.GetValueOrDefault(number.Trim(), 1);
        var u = unit.ToLowerInvariant();
        if (u.StartsWith('m') || u.StartsWith("мин", StringComparison.Ordinal))
        {
            return (TimeSpan.FromMinutes(n), false);
        }

        if (u.StartsWith('h') || u.StartsWith("час", StringComparison.Ordinal))
        {
            return (TimeSpan.FromHours(n), false);
        }

        if (u.StartsWith('w') || u.StartsWith("недел", StringComparison.Ordinal))
        {
            return (TimeSpan.FromDays(7 * n), true);
        }

        return (TimeSpan.FromDays(n), true);
    }

    private static (string DaysOfWeek, TimeOnly? DefaultTime) ReadRecurrence(Match match)
    {
        var text = match.Value.ToLowerInvariant();
        TimeOnly? defaultTime = text.Contains("morning") || text.Contains("утр") ? new TimeOnly(8, 0)
            : text.Contains("evening") || text.Contains("вечер") ? new TimeOnly(20, 0)
            : null;
        if (text.Contains("weekday") || text.Contains("workday") || text.Contains("working day") || text.Contains("будн") || text.Contains("рабоч"))
        {
            return ("1-5", defaultTime);
        }

        if (text.Contains("weekend") || text.Contains("выходн"))
        {
            return ("0,6", defaultTime);
        }

        foreach (var (stem, day) in WeekdayStems)
        {
            if (text.Contains(stem))
            {
                return (((int)day).ToString(CultureInfo.InvariantCulture), defaultTime);
            }
        }

        return ("*", defaultTime);
    }

    private static (TimeOnly Time, bool Afternoon) ReadPartOfDay(string text) => text.ToLowerInvariant() switch
    {
        var t when t.Contains("morning") || t.Contains("утр") => (new TimeOnly(9, 0), false),
        var t when t.Contains("afternoon") || t.Contains("днём") || t.Contains("днем") => (new TimeOnly(14, 0), true),
        var t when t.Contains("evening") || t.Contains("вечер") => (new TimeOnly(19, 0), true),
        var t when t.Contains("tonight") => (new TimeOnly(20, 0), true),
        _ => (new TimeOnly(22, 0), true),
    };

    private static DayOfWeek WeekdayFromName(string name)
    {
        var lower = name.ToLowerInvariant();
        foreach (var (stem, day) in WeekdayStems)
        {
            if (lower.StartsWith(stem, StringComparison.Ordinal))
            {
                return day;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(name), name, "Not a weekday.");
    }

    private static int MonthFromName(string name)
    {
        var lower = name.ToLowerInvariant();
        for (var i = 0; i < MonthStems.Length; i++)
        {
            if (Regex.IsMatch(lower, "^(" + MonthStems[i] + ")", Options))
            {
                return i + 1;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(name), name, "Not a month.");
    }

    private static DateOnly? ResolveDayMonth(DateOnly today, int day, int month, int? year)
    {
        if (month is < 1 or > 12)
        {
            return null;
        }

        var y = year ?? today.Year;
        if (day < 1 || day > DateTime.DaysInMonth(y, month))
        {
            return null;
        }

        var date = new DateOnly(y, month, day);
        // Without a year, a date already past means next year's.
        return year is null && date < today && DateTime.DaysInMonth(y + 1, month) >= day ? new DateOnly(y + 1, month, day) : date;
    }

    [GeneratedRegex(@"(?<!\w)(?:(?:every|each)\s+(?:single\s+)?(?:day|morning|evening|week\s?day|work\s?day|working\s+day|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?|daily|on\s+weekdays|weekdays|(?:каждый|каждую|каждое|каждые)\s+(?:будний\s+день|рабочий\s+день|будни|день|утро|вечер|выходные|понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)|ежедневно|по\s+будням|по\s+утрам|по\s+вечерам|по\s+выходным|по\s+(?:понедельникам|вторникам|средам|четвергам|пятницам|субботам|воскресеньям))(?!\w)", Options)]
    private static partial Regex RecurrencePattern();

    [GeneratedRegex(@"(?<!\w)in\s+(?:(?<half>half\s+an?\s+hour)|(?<n>" + NumberEn + @")\s*(?<unit>" + UnitEn + @"))(?!\w)", Options)]
    private static partial Regex RelativeEnPattern();

    [GeneratedRegex(@"(?<!\w)через\s+(?:(?<half>полчаса)|(?:(?<n>" + NumberRu + @")\s*)?(?<unit>" + UnitRu + @"))(?!\w)", Options)]
    private static partial Regex RelativeRuPattern();

    [GeneratedRegex(@"(?<!\w)(?:by\s+(?:(?<half>half\s+an?\s+hour)|(?<n>" + NumberEn + @")\s*(?<unit>" + UnitEn + @"))|(?:(?<half>half\s+an?\s+hour)|(?<n>" + NumberEn + @")\s*(?<unit>" + UnitEn + @"))\s+later)(?!\w)", Options)]
    private static partial Regex ShiftEnPattern();

    [GeneratedRegex(@"(?<!\w)на\s+(?:(?<half>полчаса)|(?:(?<n>" + NumberRu + @")\s*)?(?<unit>" + UnitRu + @"))(?:\s+позже|\s+вперёд|\s+вперед)?(?!\w)", Options)]
    private static partial Regex ShiftRuPattern();

    [GeneratedRegex(@"(?<!\w)(?:on\s+)?\d{4}-\d{2}-\d{2}(?!\w)", Options)]
    private static partial Regex IsoDatePattern();

    [GeneratedRegex(@"(?<!\w)(?:on\s+)?(?:the\s+)?(?<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)\.?(?!\w)", Options)]
    private static partial Regex DayMonthNamePattern();

    [GeneratedRegex(@"(?<!\w)(?:on\s+)?(?<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(?<d>\d{1,2})(?:st|nd|rd|th)?(?!\w)", Options)]
    private static partial Regex MonthNameDayPattern();

    [GeneratedRegex(@"(?<!\w)(?:on\s+)?(?<d>\d{1,2})[./](?<m>\d{1,2})(?:[./](?<y>\d{4}|\d{2}))?(?![\w:])", Options)]
    private static partial Regex NumericDatePattern();

    [GeneratedRegex(@"(?<!\w)(?:(?:the\s+)?day\s+after\s+tomorrow|послезавтра)(?!\w)", Options)]
    private static partial Regex DayAfterTomorrowPattern();

    [GeneratedRegex(@"(?<!\w)(?:tomorrow|tmrw|завтра)(?!\w)", Options)]
    private static partial Regex TomorrowPattern();

    [GeneratedRegex(@"(?<!\w)(?:today|сегодня)(?!\w)", Options)]
    private static partial Regex TodayPattern();

    [GeneratedRegex(@"(?<!\w)(?:(?:on\s+|by\s+)?(?:next\s+|this\s+)?(?<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(?:(?:во?|на|до|к)\s+)?(?:следующ(?:ий|ую|ее|его|ей)\s+|эт(?:от|у|о|ого|ой)\s+)?(?<day>понедельник[ау]?|вторник[ау]?|среду|среды|среда|среде|четверг[ау]?|пятницу|пятницы|пятница|пятнице|субботу|субботы|суббота|субботе|воскресенье|воскресенья|воскресенью))(?!\w)", Options)]
    private static partial Regex WeekdayPattern();

    [GeneratedRegex(@"(?<!\w)(?:at\s+)?(?<h>\d{1,2})(?:[:.](?<m>\d{2}))?\s*(?<ampm>a\.?m\.?|p\.?m\.?)(?!\w)", Options)]
    private static partial Regex AmPmPattern();

    [GeneratedRegex(@"(?<!\w)(?:в|к)\s+(?<h>\d{1,2})(?:[:.](?<m>\d{2}))?(?![\d:])(?:\s*час(?:а|ов)?)?(?:\s+(?<part>утра|дня|вечера|ночи))?(?!\w)", Options)]
    private static partial Regex RuClockPattern();

    [GeneratedRegex(@"(?<!\w)(?:at|by)\s+(?<h>\d{1,2})(?:[:.](?<m>\d{2}))?(?![\d:])(?:\s*o'?clock)?(?!\w)", Options)]
    private static partial Regex AtClockPattern();

    [GeneratedRegex(@"(?<![\w:.])(?<h>\d{1,2}):(?<m>\d{2})(?![\w:])", Options)]
    private static partial Regex BareClockPattern();

    [GeneratedRegex(@"(?<!\w)(?:at\s+|в\s+)?(?:noon|midday|полдень)(?!\w)", Options)]
    private static partial Regex NoonPattern();

    [GeneratedRegex(@"(?<!\w)(?:at\s+|в\s+)?(?:midnight|полночь)(?!\w)", Options)]
    private static partial Regex MidnightPattern();

    [GeneratedRegex(@"(?<!\w)(?:(?:in\s+the\s+|this\s+)?(?:morning|afternoon|evening)|tonight|at\s+night|утром|днём|днем|вечером|ночью)(?!\w)", Options)]
    private static partial Regex PartOfDayPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex SpacesPattern();
}
