using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Aimi.AI.Local;

/// <summary>A date range an expression refers to, inclusive; Text is how memory shows it ("7 May 2023", "the week of 1 May 2023", "May 2023", "2023").</summary>
public sealed record DateSpan(DateOnly From, DateOnly To, string Text);

/// <summary>One expression found in a text: where it is, what was written, what it resolves to.</summary>
public sealed record TimeMention(int Index, int Length, string Expression, DateSpan Span);

/// <summary>
/// What a question says about time. AsksWhen: it asks when something happened ("when did…", "what date…", "how long ago…", "когда…", "какого числа…").
/// Period: the period it restricts to, if any ("last week", "in May 2023", "yesterday", "в мае", "в прошлом месяце") resolved against `now`.
/// Month: set instead of Period for a month named without a year ("in May", "в мае"): any year's May matches.
/// </summary>
public sealed record TimeQuery(bool AsksWhen, DateSpan? Period, int? Month);

/// <summary>
/// Finds English and Russian time expressions and resolves them against the day they were said, so memory keeps
/// "7 May 2023" where the user said "yesterday". Without knowing a verb's tense, an ambiguous expression is read as past.
/// </summary>
public static partial class TimeExpressions
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    private const string EnCount = @"(?<n>\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:a\s+)?couple(?:\s+of)?|a\s+few)";
    private const string RuCount = @"(?<n>\d{1,3}|один|одну|одна|одно|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|одиннадцать|двенадцать|пару|пара|несколько)";
    private const string EnUnit = @"(?<unit>day|week|month|year)s?";
    private const string RuUnit = @"(?<unit>полгода|день|дн(?:я|ей)|недел[юьи]|месяц(?:а|ев)?|год(?:а)?|лет)";
    private const string EnMonth = "(?<mon>january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)";
    private const string RuMonth = "(?<mon>январ[ьяе]|феврал[ьяе]|март[ае]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[ае]?|сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])";
    private const string Year = @"(?<year>(?:19|20)\d\d)\b";
    private const string RuYearTail = @"(?:\s*(?:года|году|г)\b\.?)?";
    private const string EnRelation = @"(?<rel>last|this\s+past|this|next|coming|earlier\s+this)";
    private const string RuRelation = @"(?<rel>(?:(?:поза)?прошл|следующ|будущ|ближайш|текущ)\p{L}{1,3}|эт(?:от|у|а|ой|им|и|их|ом|ого))";
    private const string EnYearRelation = @"\s+(?<yrel>last|this|next)\s+year\b";
    private const string RuYearRelation = @"(?<yrel>(?:поза)?прошлого|этого|следующего)\s+года\b";

    // A day of the month written as an ordinal word: "the twenty-first of June", "первого января", "третье мая", "тридцать первого".
    // Russian in the cases a date takes (genitive, nominative/accusative, prepositional, dative), each stem with its own endings
    // so "пятница" or "шестой" are not days; the tens (двадцать, тридцать) stand before a unit's ordinal.
    private const string EnOrdinalDay = @"(?:(?<tens>twenty|thirty)[-\s]+)?(?<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)";
    private const string RuOrdinalDay = @"(?:(?<tens>двадцать|тридцать)\s+)?(?<ord>(?:перв|втор|четв[её]рт|пят|шест|седьм|восьм|девят|десят|одиннадцат|двенадцат|тринадцат|четырнадцат|пятнадцат|шестнадцат|семнадцат|восемнадцат|девятнадцат|двадцат|тридцат)(?:ого|ое|ом|ому)|трет(?:ьего|ье|ьем|ьему))";

    private static readonly (string Stem, int Day)[] OrdinalStems =
    [
        ("first", 1), ("second", 2), ("third", 3), ("fourth", 4), ("fifth", 5), ("sixth", 6), ("seventh", 7), ("eighth", 8), ("ninth", 9),
        ("tenth", 10), ("eleventh", 11), ("twelfth", 12), ("thirteenth", 13), ("fourteenth", 14), ("fifteenth", 15), ("sixteenth", 16),
        ("seventeenth", 17), ("eighteenth", 18), ("nineteenth", 19), ("twentieth", 20), ("thirtieth", 30),
        ("перв", 1), ("втор", 2), ("трет", 3), ("четверт", 4), ("четвёрт", 4), ("пят", 5), ("шест", 6), ("седьм", 7), ("восьм", 8), ("девят", 9),
        ("десят", 10), ("одиннадцат", 11), ("двенадцат", 12), ("тринадцат", 13), ("четырнадцат", 14), ("пятнадцат", 15), ("шестнадцат", 16),
        ("семнадцат", 17), ("восемнадцат", 18), ("девятнадцат", 19), ("двадцат", 20), ("тридцат", 30),
    ];

    private static readonly string[] EnMonthPrefixes = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    // "мар" comes before "ма", so March is tried before May.
    private static readonly string[] RuMonthPrefixes = ["янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"];

    private static readonly (Regex Pattern, Func<Match, string, DateOnly, Resolved?> Resolve)[] Rules =
    [
        (NearDay(), ResolveNearDay),
        (EnWeekday(), ResolveWeekday),
        (RuWeekday(), ResolveWeekday),
        (EnPeriod(), ResolvePeriod),
        (RuPeriod(), ResolvePeriod),
        (EnSeason(), ResolveSeason),
        (RuSeason(), ResolveSeason),
        (EnCounted(), ResolveCounted),
        (RuCounted(), ResolveCounted),
        (EnDayMonth(), ResolveMonth),
        (EnMonthDay(), ResolveMonth),
        (EnMonthAlone(), ResolveMonth),
        (RuDayMonth(), ResolveMonth),
        (EnOrdinalDayMonth(), ResolveOrdinalMonth),
        (RuOrdinalDayMonth(), ResolveOrdinalMonth),
        (RuMonthAfterPreposition(), ResolveMonth),
        (EnYear(), ResolveYear),
        (RuYear(), ResolveYear),
        (NumericDate(), ResolveNumericDate),
    ];

    private enum Relation { None, Last, BeforeLast, This, Next, Coming, Earlier }

    private enum Unit { Day, Week, Weekend, Month, HalfYear, Year }

    private enum Season { Spring = 3, Summer = 6, Autumn = 9, Winter = 12 }

    // Absolute: the text carries its own year, so annotating it adds nothing. BareMonth: a month named without a year.
    private readonly record struct Resolved(DateSpan Span, bool Absolute = false, int? BareMonth = null);

    private readonly record struct Found(int Index, int Length, Resolved Value);

    public static IReadOnlyList<TimeMention> Find(string text, DateTimeOffset saidAt)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Mentions(text, Scan(text, DayOf(saidAt)));
    }

    /// <summary>The text with each mention followed by its resolved date in parentheses: "I went there yesterday (7 May 2023)". Mentions that are already absolute full dates are left alone.</summary>
    public static string Annotate(string text, DateTimeOffset saidAt)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Annotated(text, Scan(text, DayOf(saidAt)));
    }

    /// <summary><see cref="Annotate"/> and <see cref="Find"/> of one text with one scan (what memory stores: the text and the days it names).</summary>
    public static (string Annotated, IReadOnlyList<TimeMention> Mentions) Resolve(string text, DateTimeOffset saidAt)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = Scan(text, DayOf(saidAt));
        return (Annotated(text, found), Mentions(text, found));
    }

    private static List<TimeMention> Mentions(string text, List<Found> found) =>
        found.Select(f => new TimeMention(f.Index, f.Length, text.Substring(f.Index, f.Length), f.Value.Span)).ToList();

    private static string Annotated(string text, List<Found> scanned)
    {
        var result = new StringBuilder(text.Length + 32);
        var copied = 0;
        foreach (var found in scanned.Where(f => !f.Value.Absolute))
        {
            var end = found.Index + found.Length;
            var note = " (" + found.Value.Span.Text + ")";
            result.Append(text, copied, end - copied);
            copied = end;
            // A text annotated twice keeps one note.
            if (!text.AsSpan(end).StartsWith(note, StringComparison.Ordinal))
            {
                result.Append(note);
            }
        }
        return result.Append(text, copied, text.Length - copied).ToString();
    }

    public static TimeQuery ParseQuery(string question, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(question);
        var asksWhen = AsksWhen(question);
        return Scan(question, DayOf(now)) switch
        {
            [{ Value.BareMonth: { } month }, ..] => new TimeQuery(asksWhen, null, month),
            [var first, ..] => new TimeQuery(asksWhen, first.Value.Span, null),
            _ => new TimeQuery(asksWhen, null, null),
        };
    }

    /// <summary>"7 May 2023" (invariant English month names; the same format in every language so one query form matches).</summary>
    public static string Format(DateOnly date) => date.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);

    private static DateOnly DayOf(DateTimeOffset moment) => DateOnly.FromDateTime(moment.DateTime);

    private static List<Found> Scan(string text, DateOnly today)
    {
        var candidates = new List<Found>();
        foreach (var (pattern, resolve) in Rules)
        {
            foreach (Match match in pattern.Matches(text))
            {
                if (resolve(match, text, today) is { } resolved)
                {
                    candidates.Add(new Found(match.Index, match.Length, resolved));
                }
            }
        }
        // Longest first, so "the day before yesterday" beats "yesterday" and "7 May 2023" beats "May 2023".
        var chosen = new List<Found>();
        foreach (var candidate in candidates.OrderByDescending(c => c.Length).ThenBy(c => c.Index))
        {
            if (!chosen.Exists(c => candidate.Index < c.Index + c.Length && c.Index < candidate.Index + candidate.Length))
            {
                chosen.Add(candidate);
            }
        }
        chosen.Sort((a, b) => a.Index.CompareTo(b.Index));
        return chosen;
    }

    private static Resolved? ResolveNearDay(Match match, string text, DateOnly today)
    {
        var offset = match.Groups["m2"].Success ? -2 : match.Groups["m1"].Success ? -1 : match.Groups["p1"].Success ? 1 : match.Groups["p2"].Success ? 2 : 0;
        return new Resolved(Day(today.AddDays(offset)));
    }

    // "this Friday" is in the current Monday–Sunday week, "next Friday" in the following one; "last Friday" and a bare
    // "on Friday" are the latest Friday before today.
    private static Resolved? ResolveWeekday(Match match, string text, DateOnly today)
    {
        var weekday = WeekdayOf(match.Groups["wd"].Value);
        var monday = WeekStart(today);
        var date = RelationOf(match.Groups["rel"]) switch
        {
            Relation.This or Relation.Earlier => monday.AddDays(weekday),
            Relation.Next => monday.AddDays(7 + weekday),
            Relation.Coming => today.AddDays((weekday - MondayIndex(today) + 6) % 7 + 1),
            Relation.BeforeLast => LatestBefore(today, weekday).AddDays(-7),
            _ => LatestBefore(today, weekday),
        };
        return new Resolved(Day(date));
    }

    private static Resolved? ResolvePeriod(Match match, string text, DateOnly today)
    {
        var relation = RelationOf(match.Groups["rel"]);
        var shift = Shift(relation);
        var monday = WeekStart(today);
        var first = new DateOnly(today.Year, today.Month, 1);
        var span = UnitOf(match.Groups["unit"].Value) switch
        {
            Unit.Week when relation == Relation.Earlier => Week(monday) with { To = today },
            Unit.Week => Week(monday.AddDays(7 * shift)),
            Unit.Weekend => Weekend(relation switch
            {
                // A bare "the weekend" is the current one on Saturday or Sunday, else the one just past.
                Relation.None => MondayIndex(today) >= 5 ? monday.AddDays(5) : LastWeekendStart(today),
                Relation.Last or Relation.BeforeLast => LastWeekendStart(today).AddDays(7 * (shift + 1)),
                _ => monday.AddDays(5 + 7 * shift),
            }),
            Unit.Month when relation == Relation.Earlier => Month(first) with { To = today },
            Unit.Month => Month(first.AddMonths(shift)),
            _ when relation == Relation.Earlier => YearSpan(today.Year) with { To = today },
            _ => YearSpan(today.Year + shift),
        };
        return new Resolved(span);
    }

    private static Resolved? ResolveSeason(Match match, string text, DateOnly today)
    {
        var season = SeasonOf(match.Groups["season"].Value);
        if (match.Groups["year"].Success)
        {
            return new Resolved(SeasonSpan(season, ParseNumber(match.Groups["year"].Value)), Absolute: true);
        }
        if (match.Groups["yrel"].Success)
        {
            return new Resolved(SeasonSpan(season, today.Year + Shift(RelationOf(match.Groups["yrel"]))));
        }
        var relation = RelationOf(match.Groups["rel"]);
        int year;
        switch (relation)
        {
            case Relation.Last or Relation.BeforeLast:
                // "Last summer" is the latest one already over.
                year = today.Year;
                while (SeasonSpan(season, year).To >= today)
                {
                    year--;
                }
                year -= relation == Relation.BeforeLast ? 1 : 0;
                break;
            case Relation.Next or Relation.Coming:
                year = today.Year - 1;
                while (SeasonSpan(season, year).From <= today)
                {
                    year++;
                }
                break;
            default:
                // "This winter" said in spring is the one just gone; said in autumn, the one coming.
                year = season == Season.Winter && today.Month <= 6 ? today.Year - 1 : today.Year;
                break;
        }
        return new Resolved(SeasonSpan(season, year));
    }

    private static Resolved? ResolveCounted(Match match, string text, DateOnly today)
    {
        var unitWord = match.Groups["unit"].Value.ToLowerInvariant();
        // "много лет назад" has no count: only a singular unit ("неделю назад") implies one.
        if (!match.Groups["n"].Success && unitWord is not ("день" or "неделю" or "месяц" or "год" or "полгода"))
        {
            return null;
        }
        var count = (match.Groups["n"].Success ? CountOf(match.Groups["n"].Value) : 1) * (match.Groups["ago"].Success ? -1 : 1);
        var first = new DateOnly(today.Year, today.Month, 1);
        var span = UnitOf(unitWord) switch
        {
            Unit.Day => Day(today.AddDays(count)),
            Unit.Week => Week(WeekStart(today.AddDays(7 * count))),
            Unit.Month => Month(first.AddMonths(count)),
            Unit.HalfYear => Month(first.AddMonths(6 * count)),
            _ => YearSpan(today.Year + count),
        };
        return new Resolved(span);
    }

    // A month without a year is the latest one at or before the current month; "next May" is the first one after it.
    private static Resolved? ResolveMonth(Match match, string text, DateOnly today) =>
        ResolveMonth(match, text, today, match.Groups["day"].Success ? ParseNumber(match.Groups["day"].Value) : null);

    private static Resolved? ResolveOrdinalMonth(Match match, string text, DateOnly today) =>
        OrdinalDay(match) is { } day ? ResolveMonth(match, text, today, day) : null;

    /// <summary>The day an ordinal's words say: "twenty-first" 21, "тридцать первого" 31; null for tens before a tens' ordinal ("twenty twentieth").</summary>
    private static int? OrdinalDay(Match match)
    {
        var word = match.Groups["ord"].Value.ToLowerInvariant();
        // The longest stem the word starts with: "пятнадцатого" is the 15th, not the 5th.
        var day = OrdinalStems.Where(o => word.StartsWith(o.Stem, StringComparison.Ordinal)).MaxBy(o => o.Stem.Length).Day;
        if (!match.Groups["tens"].Success)
        {
            return day;
        }
        return day < 10 ? (match.Groups["tens"].Value.ToLowerInvariant() is "twenty" or "двадцать" ? 20 : 30) + day : null;
    }

    private static Resolved? ResolveMonth(Match match, string text, DateOnly today, int? day)
    {
        var name = match.Groups["mon"].Value;
        var month = MonthOf(name);
        var hasYear = match.Groups["year"].Success;
        var relation = RelationOf(match.Groups["rel"]);
        var yearRelation = match.Groups["yrel"];
        if (day is null && !hasYear && !NamedAsMonth(name, text, match.Index, relation != Relation.None || yearRelation.Success))
        {
            return null;
        }
        int year;
        if (hasYear)
        {
            year = ParseNumber(match.Groups["year"].Value);
        }
        else if (yearRelation.Success)
        {
            year = today.Year + Shift(RelationOf(yearRelation));
        }
        else if (relation != Relation.None)
        {
            year = relation switch
            {
                Relation.Last => month < today.Month ? today.Year : today.Year - 1,
                Relation.Next or Relation.Coming => month > today.Month ? today.Year : today.Year + 1,
                _ => today.Year,
            };
        }
        else
        {
            year = month <= today.Month ? today.Year : today.Year - 1;
        }

        if (day is { } number)
        {
            return number >= 1 && number <= DateTime.DaysInMonth(year, month)
                ? new Resolved(Day(new DateOnly(year, month, number)), hasYear)
                : null;
        }
        var bare = !hasYear && relation == Relation.None && !yearRelation.Success;
        return new Resolved(Month(new DateOnly(year, month, 1)), hasYear, bare ? month : null);
    }

    private static Resolved? ResolveYear(Match match, string text, DateOnly today) =>
        new Resolved(YearSpan(ParseNumber(match.Groups["year"].Value)), Absolute: true);

    private static Resolved? ResolveNumericDate(Match match, string text, DateOnly today)
    {
        var year = ParseNumber(match.Groups["year"].Value);
        var month = ParseNumber(match.Groups["mo"].Value);
        var day = ParseNumber(match.Groups["day"].Value);
        return month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            ? new Resolved(Day(new DateOnly(year, month, day)), Absolute: true)
            : null;
    }

    // Without a day or year an English month name needs "next"/"last year" or a preposition, so "June called" and "we
    // march" stay a person and a verb; lowercase "may" needs the preposition even then ("the next may be…").
    private static bool NamedAsMonth(string name, string text, int index, bool qualified)
    {
        if (!char.IsAscii(name[0]))
        {
            return true;
        }
        var lower = name.ToLowerInvariant();
        if (lower.Length <= 4 && lower is not ("may" or "june" or "july"))
        {
            return false;
        }
        if (qualified && name != "may")
        {
            return true;
        }
        var end = index;
        while (end > 0 && (char.IsWhiteSpace(text[end - 1]) || text[end - 1] == '-'))
        {
            end--;
        }
        var start = end;
        while (start > 0 && char.IsLetter(text[start - 1]))
        {
            start--;
        }
        return text[start..end].ToLowerInvariant() switch
        {
            "in" or "since" or "until" or "till" or "of" or "by" or "during" or "from" or "through" or "to"
                or "early" or "late" or "mid" or "before" or "after" => true,
            // "…and may the best win": only May needs more than a conjunction.
            "and" or "or" => lower != "may",
            _ => false,
        };
    }

    private static bool AsksWhen(string question)
    {
        if (WhenPhrase().IsMatch(question))
        {
            return true;
        }
        var when = WhenWord().Match(question);
        // In "What did I eat when I was in Paris?" another question word comes first and "when" only joins clauses.
        return when.Success && !OtherQuestionWord().IsMatch(question.AsSpan(0, when.Index));
    }

    private static Relation RelationOf(Group group)
    {
        if (!group.Success)
        {
            return Relation.None;
        }
        var word = group.Value.ToLowerInvariant();
        if (word.StartsWith("позапрошл", StringComparison.Ordinal))
        {
            return Relation.BeforeLast;
        }
        if (word.StartsWith("earlier", StringComparison.Ordinal))
        {
            return Relation.Earlier;
        }
        if (word.StartsWith("last", StringComparison.Ordinal) || word.Contains("past", StringComparison.Ordinal) || word.StartsWith("прошл", StringComparison.Ordinal))
        {
            return Relation.Last;
        }
        if (word.StartsWith("this", StringComparison.Ordinal) || word.StartsWith("эт", StringComparison.Ordinal) || word.StartsWith("текущ", StringComparison.Ordinal))
        {
            return Relation.This;
        }
        if (word.StartsWith("coming", StringComparison.Ordinal) || word.StartsWith("ближайш", StringComparison.Ordinal))
        {
            return Relation.Coming;
        }
        return Relation.Next;
    }

    private static int Shift(Relation relation) => relation switch
    {
        Relation.Last => -1,
        Relation.BeforeLast => -2,
        Relation.Next => 1,
        _ => 0,
    };

    private static Unit UnitOf(string word)
    {
        var lower = word.ToLowerInvariant();
        if (lower.StartsWith("weekend", StringComparison.Ordinal) || lower.StartsWith("выходн", StringComparison.Ordinal))
        {
            return Unit.Weekend;
        }
        if (lower.StartsWith("week", StringComparison.Ordinal) || lower.StartsWith("недел", StringComparison.Ordinal))
        {
            return Unit.Week;
        }
        if (lower.StartsWith("month", StringComparison.Ordinal) || lower.StartsWith("месяц", StringComparison.Ordinal))
        {
            return Unit.Month;
        }
        if (lower == "полгода")
        {
            return Unit.HalfYear;
        }
        if (lower.StartsWith("year", StringComparison.Ordinal) || lower.StartsWith("год", StringComparison.Ordinal) || lower == "лет")
        {
            return Unit.Year;
        }
        return Unit.Day;
    }

    private static Season SeasonOf(string word)
    {
        var lower = word.ToLowerInvariant();
        if (lower.StartsWith("sum", StringComparison.Ordinal) || lower.StartsWith("лет", StringComparison.Ordinal))
        {
            return Season.Summer;
        }
        if (lower.StartsWith("win", StringComparison.Ordinal) || lower.StartsWith("зим", StringComparison.Ordinal))
        {
            return Season.Winter;
        }
        if (lower.StartsWith("spr", StringComparison.Ordinal) || lower.StartsWith("весн", StringComparison.Ordinal))
        {
            return Season.Spring;
        }
        return Season.Autumn;
    }

    private static int MonthOf(string name)
    {
        var lower = name.ToLowerInvariant();
        for (var i = 0; i < 12; i++)
        {
            if (lower.StartsWith(EnMonthPrefixes[i], StringComparison.Ordinal) || lower.StartsWith(RuMonthPrefixes[i], StringComparison.Ordinal))
            {
                return i + 1;
            }
        }
        throw new UnreachableException($"'{name}' matched a month pattern but names no month.");
    }

    private static int WeekdayOf(string name) => name.ToLowerInvariant()[..2] switch
    {
        "mo" or "по" => 0,
        "tu" or "вт" => 1,
        "we" or "ср" => 2,
        "th" or "че" => 3,
        "fr" or "пя" => 4,
        "sa" or "су" => 5,
        "su" or "во" => 6,
        _ => throw new UnreachableException($"'{name}' matched a weekday pattern but names no weekday."),
    };

    private static int CountOf(string word)
    {
        var lower = word.ToLowerInvariant();
        if (int.TryParse(lower, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }
        if (lower.Contains("couple", StringComparison.Ordinal) || lower.StartsWith("пар", StringComparison.Ordinal))
        {
            return 2;
        }
        if (lower.Contains("few", StringComparison.Ordinal) || lower == "несколько")
        {
            return 3;
        }
        return lower switch
        {
            "a" or "an" or "one" or "один" or "одну" or "одна" or "одно" => 1,
            "two" or "два" or "две" => 2,
            "three" or "три" => 3,
            "four" or "четыре" => 4,
            "five" or "пять" => 5,
            "six" or "шесть" => 6,
            "seven" or "семь" => 7,
            "eight" or "восемь" => 8,
            "nine" or "девять" => 9,
            "ten" or "десять" => 10,
            "eleven" or "одиннадцать" => 11,
            "twelve" or "двенадцать" => 12,
            _ => throw new UnreachableException($"'{word}' matched a count pattern but names no number."),
        };
    }

    private static int ParseNumber(string digits) => int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);

    private static int MondayIndex(DateOnly date) => ((int)date.DayOfWeek + 6) % 7;

    private static DateOnly WeekStart(DateOnly date) => date.AddDays(-MondayIndex(date));

    private static DateOnly LatestBefore(DateOnly today, int weekday) => today.AddDays(-((MondayIndex(today) - weekday + 6) % 7 + 1));

    // "Last weekend" is the latest Saturday–Sunday that ended before today: said on a Sunday, the one a week earlier.
    private static DateOnly LastWeekendStart(DateOnly today) => LatestBefore(today, 6).AddDays(-1);

    private static DateSpan Day(DateOnly date) => new(date, date, Format(date));

    private static DateSpan Week(DateOnly monday) => new(monday, monday.AddDays(6), "the week of " + Format(monday));

    private static DateSpan Weekend(DateOnly saturday) => new(saturday, saturday.AddDays(1), "the weekend of " + Format(saturday));

    private static DateSpan Month(DateOnly first) =>
        new(first, first.AddMonths(1).AddDays(-1), first.ToString("MMMM yyyy", CultureInfo.InvariantCulture));

    private static DateSpan YearSpan(int year) =>
        new(new DateOnly(year, 1, 1), new DateOnly(year, 12, 31), year.ToString(CultureInfo.InvariantCulture));

    // Winter belongs to the year its December is in.
    private static DateSpan SeasonSpan(Season season, int year)
    {
        var first = new DateOnly(year, (int)season, 1);
        return new(first, first.AddMonths(3).AddDays(-1), season.ToString().ToLowerInvariant() + " " + year.ToString(CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"\b(?:(?<m2>the\s+day\s+before\s+yesterday|позавчера)|(?<p2>the\s+day\s+after\s+tomorrow|послезавтра)|(?<m1>yesterday|last\s+night|вчера|прошлой\s+ночью)|(?<p1>tomorrow|завтра)|(?<z>today|tonight|this\s+(?:morning|afternoon|evening)|сегодня))\b", Options)]
    private static partial Regex NearDay();

    [GeneratedRegex(@"\b(?:" + EnRelation + @"\s+)?(?<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", Options)]
    private static partial Regex EnWeekday();

    [GeneratedRegex(@"\b(?:(?:во?\s+)?(?:" + RuRelation + @"|(?<rel>это))\s+|во?\s+)(?<wd>понедельник|вторник|сред[уа]|четверг|пятниц[уа]|суббот[уа]|воскресенье)\b", Options)]
    private static partial Regex RuWeekday();

    [GeneratedRegex(@"\b" + EnRelation + @"\s+(?<unit>week|weekend|month|year)\b|(?<=\b(?:over|on|at|during)\s+)the\s+(?<unit>weekend)\b", Options)]
    private static partial Regex EnPeriod();

    [GeneratedRegex(@"\b(?:(?:в|на)\s+)?" + RuRelation + @"\s+(?<unit>недел[еяюи]|месяц[еа]?|год[уа]?|выходн(?:ые|ых))\b|\b(?:в|на)\s+(?<unit>выходн(?:ые|ых))\b", Options)]
    private static partial Regex RuPeriod();

    [GeneratedRegex(@"\b" + EnRelation + @"\s+(?<season>summer|winter|spring|fall|autumn)\b|\b(?:the\s+)?(?<season>summer|winter|spring|fall|autumn)\s+(?:of\s+)?" + Year, Options)]
    private static partial Regex EnSeason();

    [GeneratedRegex(@"\b" + RuRelation + @"\s+(?<season>летом|зимой|весной|осенью|лето|зим[ау]|весн[ау]|осень)\b|\b(?<season>летом|зимой|весной|осенью)\s+(?:" + Year + RuYearTail + "|" + RuYearRelation + ")", Options)]
    private static partial Regex RuSeason();

    [GeneratedRegex(@"\bin\s+" + EnCount + @"\s+" + EnUnit + @"(?:'?\s+time)?\b|\b" + EnCount + @"\s+" + EnUnit + @"\s+(?:(?<ago>ago)|from\s+now)\b", Options)]
    private static partial Regex EnCounted();

    [GeneratedRegex(@"\bчерез\s+(?:" + RuCount + @"\s+)?" + RuUnit + @"\b|(?:\b" + RuCount + @"\s+)?\b" + RuUnit + @"\s+(?<ago>назад)\b", Options)]
    private static partial Regex RuCounted();

    [GeneratedRegex(@"\b(?<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + EnMonth + @"\b\.?(?:,?\s+" + Year + "|" + EnYearRelation + ")?", Options)]
    private static partial Regex EnDayMonth();

    [GeneratedRegex(@"\b(?:(?<rel>last|this|next)\s+)?" + EnMonth + @"\.?\s+(?<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+" + Year + ")?", Options)]
    private static partial Regex EnMonthDay();

    [GeneratedRegex(@"\b(?:(?<rel>last|this|next)\s+)?" + EnMonth + @"\b(?:,?\s+(?:of\s+)?" + Year + "|" + EnYearRelation + ")?", Options)]
    private static partial Regex EnMonthAlone();

    [GeneratedRegex(@"\b(?<day>\d{1,2})(?:-?го)?\s+" + RuMonth + @"\b(?:\s+" + Year + RuYearTail + ")?", Options)]
    private static partial Regex RuDayMonth();

    [GeneratedRegex(@"\b(?:the\s+)?" + EnOrdinalDay + @"\s+of\s+" + EnMonth + @"\b\.?(?:,?\s+" + Year + "|" + EnYearRelation + ")?", Options)]
    private static partial Regex EnOrdinalDayMonth();

    [GeneratedRegex(@"\b" + RuOrdinalDay + @"\s+" + RuMonth + @"\b(?:\s+" + Year + RuYearTail + ")?", Options)]
    private static partial Regex RuOrdinalDayMonth();

    [GeneratedRegex(@"\b(?:в|с|до|после)\s+(?:(?:начал[еа]|середин[еы]|конц[еа])\s+)?" + RuMonth + @"\b(?:\s+" + Year + RuYearTail + @"|\s+" + RuYearRelation + ")?", Options)]
    private static partial Regex RuMonthAfterPreposition();

    [GeneratedRegex(@"(?<=\b(?:in|since|during|until|till|by|from|through|before|after|of)\s+)" + Year, Options)]
    private static partial Regex EnYear();

    [GeneratedRegex(@"\b(?:в|с|до|после)\s+" + Year + @"(?:-?м)?" + RuYearTail, Options)]
    private static partial Regex RuYear();

    [GeneratedRegex(@"\b(?<year>(?:19|20)\d\d)-(?<mo>\d\d)-(?<day>\d\d)\b|\b(?<day>\d{1,2})\.(?<mo>\d{1,2})\.(?<year>(?:19|20)\d\d)\b", Options)]
    private static partial Regex NumericDate();

    [GeneratedRegex(@"\b(?:since\s+when|(?:what|which)\s+(?:date|day|year|month)|how\s+long\s+ago|какого\s+числа|в\s+какой\s+день|в\s+каком\s+(?:году|месяце)|как\s+давно|с\s+каких\s+пор)\b", Options)]
    private static partial Regex WhenPhrase();

    [GeneratedRegex(@"\b(?:when|когда)\b", Options)]
    private static partial Regex WhenWord();

    [GeneratedRegex(@"\b(?:what|who|whom|whose|where|which|why|how|что|кто|где|куда|откуда|почему|зачем|как|какой|какая|какое|какие|сколько|чем|кого|кому)\b", Options)]
    private static partial Regex OtherQuestionWord();
}
