using System.Globalization;
using Aimi.Memory.Api.Domain;
using Xunit;

namespace Aimi.Memory.Tests;

// Days used below: Sat 6, Sun 7, Mon 8 and Wed 10 May 2023; weeks start on Monday 1, 8, 15 May 2023.
public sealed class TimeExpressionTests
{
    private const string Wed = "2023-05-10";
    private const string Mon = "2023-05-08";
    private const string Sun = "2023-05-07";
    private const string Sat = "2023-05-06";

    [Theory]
    [InlineData("I went there yesterday", Wed, "2023-05-09", "2023-05-09", "9 May 2023")]
    [InlineData("I'm so tired today.", Wed, "2023-05-10", "2023-05-10", "10 May 2023")]
    [InlineData("We're going out tonight", Wed, "2023-05-10", "2023-05-10", "10 May 2023")]
    [InlineData("I ran 5k this morning", Wed, "2023-05-10", "2023-05-10", "10 May 2023")]
    [InlineData("She called this evening", Wed, "2023-05-10", "2023-05-10", "10 May 2023")]
    [InlineData("I slept badly last night", Wed, "2023-05-09", "2023-05-09", "9 May 2023")]
    [InlineData("It rained the day before yesterday", Wed, "2023-05-08", "2023-05-08", "8 May 2023")]
    [InlineData("The exam is tomorrow", Wed, "2023-05-11", "2023-05-11", "11 May 2023")]
    [InlineData("We leave the day after tomorrow", Wed, "2023-05-12", "2023-05-12", "12 May 2023")]
    [InlineData("I saw her last Monday", Wed, "2023-05-08", "2023-05-08", "8 May 2023")]
    [InlineData("I saw her last Friday", Wed, "2023-05-05", "2023-05-05", "5 May 2023")]
    [InlineData("We met last Sunday", Sun, "2023-04-30", "2023-04-30", "30 April 2023")]
    [InlineData("The party is this Friday", Wed, "2023-05-12", "2023-05-12", "12 May 2023")]
    [InlineData("The party is next Friday", Wed, "2023-05-19", "2023-05-19", "19 May 2023")]
    [InlineData("Call me next Monday", Wed, "2023-05-15", "2023-05-15", "15 May 2023")]
    [InlineData("I went to the gym on Tuesday", Wed, "2023-05-09", "2023-05-09", "9 May 2023")]
    [InlineData("I went to the gym on Wednesday", Wed, "2023-05-03", "2023-05-03", "3 May 2023")]
    [InlineData("We hiked on saturday", Wed, "2023-05-06", "2023-05-06", "6 May 2023")]
    [InlineData("It was a long last week", Wed, "2023-05-01", "2023-05-07", "the week of 1 May 2023")]
    [InlineData("I'm busy this week", Wed, "2023-05-08", "2023-05-14", "the week of 8 May 2023")]
    [InlineData("Let's meet next week", Wed, "2023-05-15", "2023-05-21", "the week of 15 May 2023")]
    [InlineData("We went camping last weekend", Wed, "2023-05-06", "2023-05-07", "the weekend of 6 May 2023")]
    [InlineData("We went camping last weekend", Sun, "2023-04-29", "2023-04-30", "the weekend of 29 April 2023")]
    [InlineData("We went camping last weekend", Sat, "2023-04-29", "2023-04-30", "the weekend of 29 April 2023")]
    [InlineData("We went camping this past weekend", Mon, "2023-05-06", "2023-05-07", "the weekend of 6 May 2023")]
    [InlineData("Any plans for this weekend?", Wed, "2023-05-13", "2023-05-14", "the weekend of 13 May 2023")]
    [InlineData("Any plans for next weekend?", Wed, "2023-05-20", "2023-05-21", "the weekend of 20 May 2023")]
    [InlineData("I painted the fence over the weekend", Mon, "2023-05-06", "2023-05-07", "the weekend of 6 May 2023")]
    [InlineData("I moved last month", Wed, "2023-04-01", "2023-04-30", "April 2023")]
    [InlineData("Rent went up this month", Wed, "2023-05-01", "2023-05-31", "May 2023")]
    [InlineData("I start a new job next month", Wed, "2023-06-01", "2023-06-30", "June 2023")]
    [InlineData("I got married last year", Wed, "2022-01-01", "2022-12-31", "2022")]
    [InlineData("We'll retire next year", Wed, "2024-01-01", "2024-12-31", "2024")]
    [InlineData("I was in Spain last summer", Wed, "2022-06-01", "2022-08-31", "summer 2022")]
    [InlineData("I was in Spain last summer", "2023-09-15", "2023-06-01", "2023-08-31", "summer 2023")]
    [InlineData("Last winter was cold", Wed, "2022-12-01", "2023-02-28", "winter 2022")]
    [InlineData("I started running last fall", Wed, "2022-09-01", "2022-11-30", "autumn 2022")]
    [InlineData("The garden bloomed this spring", Wed, "2023-03-01", "2023-05-31", "spring 2023")]
    [InlineData("I got sick 3 days ago", Wed, "2023-05-07", "2023-05-07", "7 May 2023")]
    [InlineData("I got sick a few days ago", Wed, "2023-05-07", "2023-05-07", "7 May 2023")]
    [InlineData("We met two weeks ago", Wed, "2023-04-24", "2023-04-30", "the week of 24 April 2023")]
    [InlineData("We met a week ago", Wed, "2023-05-01", "2023-05-07", "the week of 1 May 2023")]
    [InlineData("I quit a couple of months ago", Wed, "2023-03-01", "2023-03-31", "March 2023")]
    [InlineData("I moved here five years ago", Wed, "2018-01-01", "2018-12-31", "2018")]
    [InlineData("The results come in 3 days", Wed, "2023-05-13", "2023-05-13", "13 May 2023")]
    [InlineData("I fly out in two weeks", Wed, "2023-05-22", "2023-05-28", "the week of 22 May 2023")]
    [InlineData("I'll know three months from now", Wed, "2023-08-01", "2023-08-31", "August 2023")]
    [InlineData("I ran twice earlier this week", Wed, "2023-05-08", "2023-05-10", "the week of 8 May 2023")]
    [InlineData("I paid it earlier this month", Wed, "2023-05-01", "2023-05-10", "May 2023")]
    [InlineData("It happened on 7 May", Wed, "2023-05-07", "2023-05-07", "7 May 2023")]
    [InlineData("It happened on the 7th of May", Wed, "2023-05-07", "2023-05-07", "7 May 2023")]
    [InlineData("It happened May 7th", Wed, "2023-05-07", "2023-05-07", "7 May 2023")]
    [InlineData("Her birthday was on 3 December", Wed, "2022-12-03", "2022-12-03", "3 December 2022")]
    [InlineData("I visited Rome in March", Wed, "2023-03-01", "2023-03-31", "March 2023")]
    [InlineData("I visited Rome in June", Wed, "2022-06-01", "2022-06-30", "June 2022")]
    [InlineData("I'm visiting Rome next June", Wed, "2023-06-01", "2023-06-30", "June 2023")]
    [InlineData("It has been raining since may", Wed, "2023-05-01", "2023-05-31", "May 2023")]
    [InlineData("I've been running since January", Wed, "2023-01-01", "2023-01-31", "January 2023")]
    [InlineData("We bought the flat in March 2021", Wed, "2021-03-01", "2021-03-31", "March 2021")]
    [InlineData("The wedding was May 7, 2022", Wed, "2022-05-07", "2022-05-07", "7 May 2022")]
    [InlineData("We were in Oslo in May last year", Wed, "2022-05-01", "2022-05-31", "May 2022")]
    [InlineData("It opens on 3 June next year", Wed, "2024-06-03", "2024-06-03", "3 June 2024")]
    [InlineData("We married in 2019", Wed, "2019-01-01", "2019-12-31", "2019")]
    [InlineData("We met in the summer of 2021", Wed, "2021-06-01", "2021-08-31", "summer 2021")]
    [InlineData("The lease started 2023-04-01", Wed, "2023-04-01", "2023-04-01", "1 April 2023")]
    [InlineData("We moved on the first of May", Wed, "2023-05-01", "2023-05-01", "1 May 2023")]
    [InlineData("Her party was on the twenty-first of April", Wed, "2023-04-21", "2023-04-21", "21 April 2023")]
    [InlineData("The gig was on the thirtieth of December", Wed, "2022-12-30", "2022-12-30", "30 December 2022")]
    [InlineData("We met on the third of March, 2021", Wed, "2021-03-03", "2021-03-03", "3 March 2021")]
    public void English_expressions_resolve_against_the_day_said(string sentence, string saidOn, string from, string to, string text) =>
        AssertSingle(sentence, saidOn, from, to, text);

    [Theory]
    [InlineData("Вчера я ходил в кино", Wed, "2023-05-09", "2023-05-09", "9 May 2023")]
    [InlineData("Я сегодня устала", Wed, "2023-05-10", "2023-05-10", "10 May 2023")]
    [InlineData("Позавчера был дождь", Wed, "2023-05-08", "2023-05-08", "8 May 2023")]
    [InlineData("Завтра у меня экзамен", Wed, "2023-05-11", "2023-05-11", "11 May 2023")]
    [InlineData("Мы уезжаем послезавтра", Wed, "2023-05-12", "2023-05-12", "12 May 2023")]
    [InlineData("На прошлой неделе я болел", Wed, "2023-05-01", "2023-05-07", "the week of 1 May 2023")]
    [InlineData("Я занят на этой неделе", Wed, "2023-05-08", "2023-05-14", "the week of 8 May 2023")]
    [InlineData("Давай встретимся на следующей неделе", Wed, "2023-05-15", "2023-05-21", "the week of 15 May 2023")]
    [InlineData("В прошлые выходные мы были на даче", Wed, "2023-05-06", "2023-05-07", "the weekend of 6 May 2023")]
    [InlineData("В эти выходные будет концерт", Wed, "2023-05-13", "2023-05-14", "the weekend of 13 May 2023")]
    [InlineData("На выходных я красил забор", Mon, "2023-05-06", "2023-05-07", "the weekend of 6 May 2023")]
    [InlineData("В прошлом месяце я переехал", Wed, "2023-04-01", "2023-04-30", "April 2023")]
    [InlineData("В следующем месяце отпуск", Wed, "2023-06-01", "2023-06-30", "June 2023")]
    [InlineData("В этом году я бегаю", Wed, "2023-01-01", "2023-12-31", "2023")]
    [InlineData("В прошлом году мы поженились", Wed, "2022-01-01", "2022-12-31", "2022")]
    [InlineData("В следующем году переезжаем", Wed, "2024-01-01", "2024-12-31", "2024")]
    [InlineData("В прошлую субботу мы гуляли", Wed, "2023-05-06", "2023-05-06", "6 May 2023")]
    [InlineData("В эту субботу концерт", Wed, "2023-05-13", "2023-05-13", "13 May 2023")]
    [InlineData("В следующую субботу концерт", Wed, "2023-05-20", "2023-05-20", "20 May 2023")]
    [InlineData("В прошлый понедельник я проспал", Wed, "2023-05-08", "2023-05-08", "8 May 2023")]
    [InlineData("Во вторник я был у врача", Wed, "2023-05-09", "2023-05-09", "9 May 2023")]
    [InlineData("В понедельник я проспал", Wed, "2023-05-08", "2023-05-08", "8 May 2023")]
    [InlineData("В среду я плавал", Wed, "2023-05-03", "2023-05-03", "3 May 2023")]
    [InlineData("В четверг я плавал", Wed, "2023-05-04", "2023-05-04", "4 May 2023")]
    [InlineData("В пятницу мы ужинали", Wed, "2023-05-05", "2023-05-05", "5 May 2023")]
    [InlineData("В воскресенье мы ужинали", Wed, "2023-05-07", "2023-05-07", "7 May 2023")]
    [InlineData("Я заболел 3 дня назад", Wed, "2023-05-07", "2023-05-07", "7 May 2023")]
    [InlineData("Я заболел один день назад", Wed, "2023-05-09", "2023-05-09", "9 May 2023")]
    [InlineData("Мы познакомились две недели назад", Wed, "2023-04-24", "2023-04-30", "the week of 24 April 2023")]
    [InlineData("Мы познакомились неделю назад", Wed, "2023-05-01", "2023-05-07", "the week of 1 May 2023")]
    [InlineData("Я уволился пару месяцев назад", Wed, "2023-03-01", "2023-03-31", "March 2023")]
    [InlineData("Я уволился месяц назад", Wed, "2023-04-01", "2023-04-30", "April 2023")]
    [InlineData("Год назад я жил в Казани", Wed, "2022-01-01", "2022-12-31", "2022")]
    [InlineData("Пять лет назад я переехал", Wed, "2018-01-01", "2018-12-31", "2018")]
    [InlineData("Через неделю отпуск", Wed, "2023-05-15", "2023-05-21", "the week of 15 May 2023")]
    [InlineData("Результаты будут через 3 дня", Wed, "2023-05-13", "2023-05-13", "13 May 2023")]
    [InlineData("Я был в Риме в мае", Wed, "2023-05-01", "2023-05-31", "May 2023")]
    [InlineData("Я был в Риме в июне", Wed, "2022-06-01", "2022-06-30", "June 2022")]
    [InlineData("Это случилось 7 мая", Wed, "2023-05-07", "2023-05-07", "7 May 2023")]
    [InlineData("Это случилось 7-го мая 2022 года", Wed, "2022-05-07", "2022-05-07", "7 May 2022")]
    [InlineData("Мы купили квартиру в марте 2021 года", Wed, "2021-03-01", "2021-03-31", "March 2021")]
    [InlineData("Я был в Риме в мае прошлого года", Wed, "2022-05-01", "2022-05-31", "May 2022")]
    [InlineData("Прошлым летом мы были в Сочи", Wed, "2022-06-01", "2022-08-31", "summer 2022")]
    [InlineData("Этой зимой было холодно", Wed, "2022-12-01", "2023-02-28", "winter 2022")]
    [InlineData("Этой зимой поеду в горы", "2023-11-20", "2023-12-01", "2024-02-29", "winter 2023")]
    [InlineData("Летом 2021 года я работал в лагере", Wed, "2021-06-01", "2021-08-31", "summer 2021")]
    [InlineData("Мы поженились в 2019 году", Wed, "2019-01-01", "2019-12-31", "2019")]
    [InlineData("Договор с 07.05.2023", Wed, "2023-05-07", "2023-05-07", "7 May 2023")]
    [InlineData("А первого мая я бегала по набережной", Wed, "2023-05-01", "2023-05-01", "1 May 2023")]
    [InlineData("Переезжаю с пятнадцатого апреля", Wed, "2023-04-15", "2023-04-15", "15 April 2023")]
    [InlineData("Последний день тридцать первого марта", Wed, "2023-03-31", "2023-03-31", "31 March 2023")]
    [InlineData("Двадцать второе апреля было солнечным", Wed, "2023-04-22", "2023-04-22", "22 April 2023")]
    [InlineData("Экзамен был третьего мая", Wed, "2023-05-03", "2023-05-03", "3 May 2023")]
    [InlineData("Уехали двенадцатого июня 2021 года", Wed, "2021-06-12", "2021-06-12", "12 June 2021")]
    public void Russian_expressions_resolve_against_the_day_said(string sentence, string saidOn, string from, string to, string text) =>
        AssertSingle(sentence, saidOn, from, to, text);

    [Fact]
    public void A_mention_reports_where_it_is_and_what_was_written()
    {
        var mention = Assert.Single(TimeExpressions.Find("I went there Yesterday, alone", At(Wed)));

        Assert.Equal(13, mention.Index);
        Assert.Equal(9, mention.Length);
        Assert.Equal("Yesterday", mention.Expression);
    }

    [Fact]
    public void Several_mentions_come_in_text_order()
    {
        var mentions = TimeExpressions.Find("Yesterday I planned what to do next week and in March", At(Wed));

        Assert.Equal(["Yesterday", "next week", "March"], mentions.Select(m => m.Expression));
    }

    [Fact]
    public void Resolution_uses_the_calendar_day_in_the_offset_it_was_said_in()
    {
        // 01:00 in Moscow on 8 May is still 7 May in UTC.
        var moscow = new DateTimeOffset(2023, 5, 8, 1, 0, 0, TimeSpan.FromHours(3));
        var newYork = new DateTimeOffset(2023, 5, 7, 22, 0, 0, TimeSpan.FromHours(-4));

        Assert.Equal("7 May 2023", Assert.Single(TimeExpressions.Find("yesterday", moscow)).Span.Text);
        Assert.Equal("6 May 2023", Assert.Single(TimeExpressions.Find("yesterday", newYork)).Span.Text);
    }

    [Theory]
    [InlineData("You may go now")]
    [InlineData("I may have told you")]
    [InlineData("The next may be better")]
    [InlineData("The Mayor spoke for an hour")]
    [InlineData("I'm a weekend person")]
    [InlineData("weekends are for sleeping")]
    [InlineData("Mondays are hard")]
    [InlineData("todayx is not a word")]
    [InlineData("June called me")]
    [InlineData("The soldiers march on")]
    [InlineData("I talked to Jan")]
    [InlineData("It took many years")]
    [InlineData("Я позавтракал")]
    [InlineData("Сегодняшний день")]
    [InlineData("Это было много лет назад")]
    [InlineData("В среднем я сплю семь часов")]
    [InlineData("On 31 June nothing happened")]
    [InlineData("He came first of all")]
    [InlineData("The second of the players")]
    [InlineData("Шестой раз пишу, пятница же")]
    [InlineData("Тридцать первого числа")]
    public void Words_that_only_look_like_time_are_not_mentions(string sentence) =>
        Assert.Empty(TimeExpressions.Find(sentence, At(Wed)));

    [Theory]
    [InlineData("I'm here today and", "today")]
    [InlineData("I'll see you in may", "may")]
    [InlineData("See you may 7", "may 7")]
    [InlineData("from March to May", "March")]
    [InlineData("I may next year move", "next year")]
    [InlineData("I talked to Jan last year", "last year")]
    [InlineData("May I ask what I did last week?", "last week")]
    public void Time_next_to_ordinary_words_is_still_found(string sentence, string expression) =>
        Assert.Equal(expression, TimeExpressions.Find(sentence, At(Wed))[0].Expression);

    [Theory]
    [InlineData("I went there yesterday", Mon, "I went there yesterday (7 May 2023)")]
    [InlineData("Met Anna on 7 May 2023 and again last week.", Mon, "Met Anna on 7 May 2023 and again last week (the week of 1 May 2023).")]
    [InlineData("In 2021 I moved, and since March I run", Wed, "In 2021 I moved, and since March (March 2023) I run")]
    [InlineData("Вчера ходил к врачу, в мае снова", Mon, "Вчера (7 May 2023) ходил к врачу, в мае (May 2023) снова")]
    [InlineData("Nothing about time here", Mon, "Nothing about time here")]
    public void Annotate_adds_the_resolved_date_after_relative_mentions(string text, string saidOn, string expected) =>
        Assert.Equal(expected, TimeExpressions.Annotate(text, At(saidOn)));

    [Fact]
    public void Annotating_twice_changes_nothing()
    {
        var once = TimeExpressions.Annotate("Yesterday and 3 days ago, on Tuesday", At(Wed));

        Assert.Equal("Yesterday (9 May 2023) and 3 days ago (7 May 2023), on Tuesday (9 May 2023)", once);
        Assert.Equal(once, TimeExpressions.Annotate(once, At(Wed)));
    }

    [Theory]
    [InlineData("When did I go to the dentist?", true)]
    [InlineData("what date is my sister's wedding?", true)]
    [InlineData("Which day did I call mom?", true)]
    [InlineData("What day was the party?", true)]
    [InlineData("How long ago did I start running?", true)]
    [InlineData("Since when do I work at Contoso?", true)]
    [InlineData("Remind me when I last saw Anna", true)]
    [InlineData("What did I eat when I was in Paris?", false)]
    [InlineData("Where do I work?", false)]
    [InlineData("Когда я ходил к врачу?", true)]
    [InlineData("Какого числа у Ани день рождения?", true)]
    [InlineData("В какой день я звонил маме?", true)]
    [InlineData("Как давно я бегаю?", true)]
    [InlineData("С каких пор я работаю в Яндексе?", true)]
    [InlineData("Что я ел, когда был в Париже?", false)]
    [InlineData("Где я работаю?", false)]
    public void A_question_asking_when_is_recognised(string question, bool asksWhen)
    {
        var query = TimeExpressions.ParseQuery(question, At(Wed));

        Assert.Equal(asksWhen, query.AsksWhen);
        Assert.Null(query.Period);
        Assert.Null(query.Month);
    }

    [Theory]
    [InlineData("What did I do last week?", false, "2023-05-01", "2023-05-07", "the week of 1 May 2023")]
    [InlineData("Did I run yesterday?", false, "2023-05-09", "2023-05-09", "9 May 2023")]
    [InlineData("What did I do in May last year?", false, "2022-05-01", "2022-05-31", "May 2022")]
    [InlineData("What happened in May 2022?", false, "2022-05-01", "2022-05-31", "May 2022")]
    [InlineData("Which day last week did I see Anna?", true, "2023-05-01", "2023-05-07", "the week of 1 May 2023")]
    [InlineData("Что было на прошлой неделе?", false, "2023-05-01", "2023-05-07", "the week of 1 May 2023")]
    [InlineData("Что я делал в прошлом месяце?", false, "2023-04-01", "2023-04-30", "April 2023")]
    [InlineData("Когда я вчера ходил в зал?", true, "2023-05-09", "2023-05-09", "9 May 2023")]
    public void A_question_restricts_to_the_period_it_names(string question, bool asksWhen, string from, string to, string text)
    {
        var query = TimeExpressions.ParseQuery(question, At(Wed));

        Assert.Equal(asksWhen, query.AsksWhen);
        Assert.Equal(new DateSpan(Date(from), Date(to), text), query.Period);
        Assert.Null(query.Month);
    }

    [Theory]
    [InlineData("What did I eat in May?", 5)]
    [InlineData("Where was I in December?", 12)]
    [InlineData("Что я делал в мае?", 5)]
    [InlineData("Где я был в марте?", 3)]
    public void A_month_without_a_year_matches_any_year(string question, int month)
    {
        var query = TimeExpressions.ParseQuery(question, At(Wed));

        Assert.Null(query.Period);
        Assert.Equal(month, query.Month);
    }

    [Fact]
    public void Format_uses_invariant_english_month_names()
    {
        var previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("ru-RU");
            Assert.Equal("7 May 2023", TimeExpressions.Format(new DateOnly(2023, 5, 7)));
            Assert.Equal("31 December 1999", TimeExpressions.Format(new DateOnly(1999, 12, 31)));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    private static void AssertSingle(string sentence, string saidOn, string from, string to, string text)
    {
        var mention = Assert.Single(TimeExpressions.Find(sentence, At(saidOn)));

        Assert.Equal(new DateSpan(Date(from), Date(to), text), mention.Span);
    }

    // Mid-afternoon in a non-UTC offset, so a resolution that slipped into UTC would still land on the same day.
    private static DateTimeOffset At(string date) =>
        new(Date(date).ToDateTime(new TimeOnly(15, 0)), TimeSpan.FromHours(2));

    private static DateOnly Date(string date) => DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
