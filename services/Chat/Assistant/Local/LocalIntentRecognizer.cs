using Aimi.Contracts.Goals;
using Aimi.AI.Local;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Aimi.Chat.Api.Assistant.Local;

/// <summary>The language a reply is written in.</summary>
public enum ReplyLanguage
{
    English,
    Russian,
}

/// <summary>What the local model decided to do with the user's last message: call a tool, or just answer.</summary>
public sealed record LocalDecision(string? Tool, IReadOnlyDictionary<string, object?> Arguments, string? Reply)
{
    public static LocalDecision Call(string tool, Dictionary<string, object?> arguments) => new(tool, arguments, null);

    public static LocalDecision Say(string reply) => new(null, new Dictionary<string, object?>(), reply);
}

/// <summary>The item "it"/"that" refers to.</summary>
public sealed record Referent(Guid Id, string? Title, DateTimeOffset? LocalTime, string? Status);

/// <summary>Everything the recogniser needs besides the message: the user's clock (from the system prompt) and what "it" is.</summary>
public sealed record ConversationState(
    DateTimeOffset? Now,
    TimeZoneInfo TimeZone,
    IReadOnlyList<PendingItem> PendingItems,
    Referent? LastMentioned,
    bool FirstTurn = false,
    IReadOnlyList<RememberedItem>? Remembered = null,
    IReadOnlyList<string>? Goals = null,
    IReadOnlyList<ForgetCandidate>? ForgetCandidates = null,
    string? UserText = null)
{
    public IReadOnlyList<RememberedItem> Memory => Remembered ?? [];
}

/// <summary>
/// Rule-based intent and slot recognition for English and Russian: goodbye, thanks, greetings, agenda, postpone, cancel,
/// complete, habit, goal, event, task, confirm, else a short answer. Deterministic; times come from
/// <see cref="TimeExpressionParser"/> against the prompt's current time.
/// </summary>
public static partial class LocalIntentRecognizer
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    public static ReplyLanguage DetectLanguage(string text)
    {
        var cyrillic = text.Count(c => c is >= '\u0400' and <= '\u04FF');
        var latin = text.Count(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z');
        return cyrillic > latin ? ReplyLanguage.Russian : ReplyLanguage.English;
    }

    public static LocalDecision Decide(string userText, ConversationState state)
    {
        ArgumentNullException.ThrowIfNull(userText);
        ArgumentNullException.ThrowIfNull(state);
        var text = userText.Trim();
        var lang = DetectLanguage(text);
        var ru = lang == ReplyLanguage.Russian;
        var time = state.Now is { } now ? TimeExpressionParser.Parse(text, now, state.TimeZone) : null;
        var wordCount = TextNormalizer.Words(text).Count;

        if (text.Length == 0)
        {
            // An opening turn without a user message: raise what is still open, else greet.
            var titlesRu = state.PendingItems.Any(p => DetectLanguage(p.Title) == ReplyLanguage.Russian)
                || state.Memory.Any(r => DetectLanguage(r.Content) == ReplyLanguage.Russian);
            var first = RaisePending(state, titlesRu) ?? Opening(state, titlesRu);
            return LocalDecision.Say(first ?? "Hi! How can I help today?");
        }

        if (GoodbyePattern().IsMatch(text) && wordCount <= 7 && (time is null || time.IsEmpty))
        {
            return LocalDecision.Call(AssistantTools.EndSession, []);
        }

        if (state.ForgetCandidates is { Count: > 0 } candidates)
        {
            // The answer to "forget all of these?": yes forgets them, no keeps them; anything else goes on as usual.
            if (ConfirmPattern().IsMatch(text) && !NegationPattern().IsMatch(text))
            {
                return LocalDecision.Call(AssistantTools.ForgetMemory, new()
                {
                    [AssistantTools.Parameters.MemoryIds] = string.Join(',', candidates.Select(c => c.Id.ToString("D"))),
                });
            }
            if (NoPattern().IsMatch(text))
            {
                return LocalDecision.Say(ru ? "Хорошо, ничего не забываю." : "Okay, I'll keep them.");
            }
        }

        if (LocalMemory.ForgetRequest(text) is { } forget)
        {
            return LocalDecision.Call(AssistantTools.ForgetMemory, new() { [AssistantTools.Parameters.Query] = forget });
        }

        if (LocalMemory.AsksWhatIsKnown(text))
        {
            return LocalDecision.Say(LocalMemory.WhatIKnow(state.Memory, lang));
        }

        if (AgendaPattern().IsMatch(text))
        {
            if (state.Now is null)
            {
                return NoClock(ru);
            }

            var date = time?.Date ?? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(state.Now.Value, state.TimeZone).DateTime);
            return LocalDecision.Call(AssistantTools.ListAgenda, new() { [AssistantTools.Parameters.Date] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) });
        }

        if (LocalMemory.IsQuestionAboutUser(text))
        {
            // A period ("last weekend") is searched for; else the Remember: block answers when it can, and memory is asked when not.
            var period = LocalNow(state) is { } localNow ? AskedPeriod.Of(text, localNow) : null;
            if (period is null && LocalMemory.Answer(text, state.Memory, lang, LocalNow(state)) is { } known)
            {
                return LocalDecision.Say(known);
            }
            var search = new Dictionary<string, object?> { [AssistantTools.Parameters.Query] = text };
            if (period is not null)
            {
                search[AssistantTools.Parameters.From] = period.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                search[AssistantTools.Parameters.To] = period.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            }
            return LocalDecision.Call(AssistantTools.SearchMemory, search);
        }

        if (PostponePattern().IsMatch(text))
        {
            return Postpone(text, state, time, ru);
        }

        if (CancelPattern().IsMatch(text))
        {
            return WithReferent(text, state, ru, "cancel", id => new() { [AssistantTools.Parameters.EventId] = id }, AssistantTools.CancelEvent);
        }

        if (FeedbackTarget(text, state) is { } asked && FeedbackOutcome(text) is { } outcome)
        {
            // The answer to "how did it go?": "partly" counts as done, with the user's words as the note.
            var feedback = new Dictionary<string, object?> { [AssistantTools.Parameters.EventId] = asked.Id.ToString("D"), [AssistantTools.Parameters.Outcome] = outcome.Outcome };
            if (outcome.Partly)
            {
                feedback[AssistantTools.Parameters.Note] = text;
            }

            return LocalDecision.Call(AssistantTools.RecordFeedback, feedback);
        }

        if (CompletePattern().IsMatch(text) && !CreateTriggerPattern().IsMatch(text))
        {
            if (NegationPattern().IsMatch(text))
            {
                return LocalDecision.Say(ru
                    ? "Ничего страшного. Хотите, перенесу на другое время?"
                    : "No worries. Would you like me to move it to another time?");
            }

            if (ResolveReferent(text, state) is null && wordCount >= 4 && LocalMemory.Acknowledge(text, lang) is { } finished)
            {
                return LocalDecision.Say(finished); // "I finished my thesis last year": news, not a task to tick off
            }

            return WithReferent(text, state, ru, "complete", id => new() { [AssistantTools.Parameters.EventId] = id }, AssistantTools.CompleteTask);
        }

        if (time?.Cadence is { } cadence)
        {
            var title = Title(time.Remainder);
            if (title is null)
            {
                return LocalDecision.Say(ru ? "Какую привычку добавить?" : "Which habit should I add?");
            }

            return LocalDecision.Call(AssistantTools.CreateHabit, new() { [AssistantTools.Parameters.Title] = title, [AssistantTools.Parameters.Cadence] = cadence });
        }

        if (GoalPattern().IsMatch(text) || (GoalWishPattern().IsMatch(text) && time?.At is null))
        {
            var title = Title(time?.Remainder ?? text);
            if (title is null)
            {
                return LocalDecision.Say(ru ? "Какую цель поставим?" : "What goal would you like to set?");
            }

            var args = new Dictionary<string, object?> { [AssistantTools.Parameters.Title] = title };
            if (time?.Date is { } due)
            {
                args[AssistantTools.Parameters.DueDate] = due.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            }

            return LocalDecision.Call(AssistantTools.CreateGoal, args);
        }

        var eventTrigger = EventTriggerPattern().IsMatch(text);
        var taskTrigger = TaskTriggerPattern().IsMatch(text);
        var question = text.EndsWith('?');
        if (eventTrigger || (!taskTrigger && !question && time is { At: not null } && Title(time.Remainder) is not null))
        {
            if (state.Now is null)
            {
                return NoClock(ru);
            }

            var title = Title(time!.Remainder);
            if (title is null)
            {
                return LocalDecision.Say(ru ? "О чём напомнить?" : "What should I remind you about?");
            }

            var startsAt = time.At ?? (time.Date is { } day ? TimeExpressionParser.ToInstant(day, new TimeOnly(9, 0), state.TimeZone) : (DateTimeOffset?)null);
            if (startsAt is null)
            {
                return LocalDecision.Say(ru ? $"Когда напомнить про «{title}»?" : $"When should I remind you to {LowerFirst(title)}?");
            }

            return LocalDecision.Call(AssistantTools.CreateEvent, new()
            {
                [AssistantTools.Parameters.Title] = title,
                [AssistantTools.Parameters.StartsAt] = AssistantPrompt.FormatInstant(startsAt.Value),
            });
        }

        if (taskTrigger)
        {
            var title = Title(time?.Remainder ?? text);
            if (title is null)
            {
                return LocalDecision.Say(ru ? "Какую задачу добавить?" : "What task should I add?");
            }

            var args = new Dictionary<string, object?> { [AssistantTools.Parameters.Title] = title };
            var dueAt = time?.At ?? (time?.Date is { } day ? TimeExpressionParser.ToInstant(day, new TimeOnly(18, 0), state.TimeZone) : (DateTimeOffset?)null);
            if (dueAt is { } due)
            {
                args[AssistantTools.Parameters.DueAt] = AssistantPrompt.FormatInstant(due);
            }

            return LocalDecision.Call(AssistantTools.CreateTask, args);
        }

        if (ConfirmPattern().IsMatch(text) && !NegationPattern().IsMatch(text))
        {
            var target = ResolveReferent(text, state, preferStatus: EventStatuses.PendingConfirmation);
            if (target is not null && (target.Status is null or EventStatuses.PendingConfirmation))
            {
                return LocalDecision.Call(AssistantTools.ConfirmEvent, new() { [AssistantTools.Parameters.EventId] = target.Id.ToString("D") });
            }

            // "Yes" to "did you do it?" means done.
            if (target is { Status: EventStatuses.AwaitingFeedback })
            {
                return LocalDecision.Call(AssistantTools.CompleteTask, new() { [AssistantTools.Parameters.EventId] = target.Id.ToString("D") });
            }

            return LocalDecision.Say(ru ? "Отлично!" : "Great!");
        }

        if (NoPattern().IsMatch(text))
        {
            var target = ResolveReferent(text, state);
            return LocalDecision.Say(target switch
            {
                { Status: EventStatuses.AwaitingFeedback } => ru ? "Ничего страшного. Хотите, перенесу на другое время?" : "No worries. Would you like me to move it to another time?",
                { Status: EventStatuses.PendingConfirmation } => ru
                    ? $"Хорошо, «{target.Title}» пока остаётся неподтверждённым. Перенести или отменить?"
                    : $"Okay, I'll leave “{target.Title}” unconfirmed. Should I move it or cancel it?",
                _ => ru ? "Хорошо." : "Okay.",
            });
        }

        if (MoodPattern().IsMatch(text))
        {
            return LocalDecision.Say(ru
                ? "Сочувствую. Может, сделать небольшую паузу? Если хотите, перенесу что-нибудь из сегодняшних планов."
                : "Sorry to hear that. Maybe take a short break? If you like, I can move something from today's plan.");
        }

        if (CapabilitiesPattern().IsMatch(text))
        {
            return LocalDecision.Say(ru
                ? "Я могу записать задачу, событие, цель или привычку («напомни позвонить маме завтра в 18:00»), подтвердить, перенести или отменить их и показать ваши планы на день."
                : "I can note tasks, events, goals and habits (\"remind me to call mom tomorrow at 6pm\"), confirm, move or cancel them, and show your agenda for a day.");
        }

        if (ThanksPattern().IsMatch(text))
        {
            return LocalDecision.Say(ru ? "Пожалуйста! Обращайтесь." : "You're welcome! Anything else?");
        }

        var greeting = GreetingPattern().Match(text);
        // What follows a greeting ("Hi! I just moved to Munich") is heard as well.
        var told = LocalMemory.Acknowledge(greeting.Success ? text[greeting.Length..].TrimStart(' ', ',', '!', '.') : text, lang);
        var hello = greeting.Success ? (ru ? "Привет! " : "Hi! ") : "";
        if (state.FirstTurn && RaisePending(state, ru) is { } raised)
        {
            // Items left open in earlier sessions come first.
            return LocalDecision.Say(hello + (told is null ? "" : told + " ") + raised);
        }

        if (told is not null)
        {
            return LocalDecision.Say(hello + told);
        }

        if (state.FirstTurn && greeting.Success && Opening(state, ru) is { } opening)
        {
            // A new conversation picks up what the user is working towards (memory's Remember: block, or an active goal).
            return LocalDecision.Say(hello + opening);
        }

        if (greeting.Success)
        {
            return LocalDecision.Say(ru
                ? "Привет! Чем помочь? Могу добавить задачу, событие, цель или привычку, или рассказать, что у вас сегодня."
                : "Hi! How can I help? I can add a task, an event, a goal or a habit, or tell you what's on today.");
        }

        if (HowAreYouPattern().IsMatch(text))
        {
            return LocalDecision.Say(ru ? "Всё хорошо, спасибо! А у вас как дела?" : "I'm doing well, thanks! How are you?");
        }

        return LocalDecision.Say(ru
            ? "Не уверена, что поняла. Я могу записать задачу, событие, цель или привычку, перенести или отменить их, или показать ваши планы."
            : "I'm not sure I understood. I can note a task, an event, a goal or a habit, move or cancel them, or show you your agenda.");
    }

    /// <summary>The opening question of a conversation without pending items: how what the user is working towards is going.</summary>
    public static string? Opening(ConversationState state, bool ru)
    {
        ArgumentNullException.ThrowIfNull(state);
        return LocalMemory.WorkingTowards(state.Memory, state.Goals ?? [], ru ? ReplyLanguage.Russian : ReplyLanguage.English);
    }

    /// <summary>The user's own clock from the prompt, as a local date-time (their offset), or null without one.</summary>
    public static DateTimeOffset? LocalNow(ConversationState state) =>
        state?.Now is { } now ? TimeZoneInfo.ConvertTime(now, state.TimeZone) : null;

    /// <summary>"It"/"that": the item named by title in the pending list, else the most recent item of this conversation, else the first pending one.</summary>
    public static Referent? ResolveReferent(string text, ConversationState state, string? preferStatus = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var words = TextNormalizer.Words(text).Where(w => w.Length > 2).ToHashSet();
        var byTitle = state.PendingItems
            .Select(item => (item, score: TextNormalizer.Words(item.Title).Count(words.Contains)))
            .Where(x => x.score > 0)
            .OrderByDescending(x => x.score)
            .Select(x => x.item)
            .FirstOrDefault();
        if (byTitle is not null)
        {
            return new Referent(byTitle.Id, byTitle.Title, byTitle.LocalTime, byTitle.Status);
        }

        if (state.LastMentioned is not null)
        {
            return state.LastMentioned;
        }

        var pending = state.PendingItems.FirstOrDefault(p => p.Status == preferStatus) ?? (state.PendingItems.Count > 0 ? state.PendingItems[0] : null);
        return pending is null ? null : new Referent(pending.Id, pending.Title, pending.LocalTime, pending.Status);
    }

    /// <summary>Strips request phrasing and politeness from what remains of a message; null when nothing is left.</summary>
    public static string? Title(string remainder)
    {
        var title = remainder.Trim();
        string previous;
        do
        {
            previous = title;
            title = LeadingFillerPattern().Replace(title, "").Trim();
            title = TrailingFillerPattern().Replace(title, "").Trim();
            title = title.Trim(' ', ',', '.', '!', ';', ':', '-', '—', '"', '\'', '«', '»');
        }
        while (title != previous);

        if (title.Length == 0 || TextNormalizer.Words(title).Count == 0)
        {
            return null;
        }

        if (title.StartsWith("встречу", StringComparison.OrdinalIgnoreCase))
        {
            title = "встреча" + title["встречу".Length..];
        }

        return char.ToUpper(title[0], CultureInfo.InvariantCulture) + title[1..];
    }

    /// <summary>The item a "how did it go?" answer is about: one awaiting feedback, named by title, else the one just talked about, else the first.</summary>
    public static Referent? FeedbackTarget(string text, ConversationState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.PendingItems.Any(p => p.Status == EventStatuses.AwaitingFeedback))
        {
            return null;
        }

        var target = ResolveReferent(text, state, EventStatuses.AwaitingFeedback);
        if (target is { Status: EventStatuses.AwaitingFeedback })
        {
            return target;
        }

        var first = state.PendingItems.First(p => p.Status == EventStatuses.AwaitingFeedback);
        return new Referent(first.Id, first.Title, first.LocalTime, first.Status);
    }

    /// <summary>How the user says it went, in English or Russian; null when the text is no such answer. "Not" turns a good word into a miss.</summary>
    public static (string Outcome, bool Partly)? FeedbackOutcome(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (FeedbackPartlyPattern().IsMatch(text))
        {
            return (AssistantTools.Outcomes.Done, true);
        }

        if (FeedbackMissedPattern().IsMatch(text))
        {
            return (AssistantTools.Outcomes.Missed, false);
        }

        return FeedbackDonePattern().IsMatch(text) ? (AssistantTools.Outcomes.Done, false) : null;
    }

    /// <summary>The question about the first open item, or null when nothing is pending.</summary>
    public static string? RaisePending(ConversationState state, bool ru)
    {
        ArgumentNullException.ThrowIfNull(state);
        var item = state.PendingItems.FirstOrDefault(p => p.Status == EventStatuses.AwaitingFeedback) ?? (state.PendingItems.Count > 0 ? state.PendingItems[0] : null);
        if (item is null)
        {
            return null;
        }

        var when = item.LocalTime is { } at ? " (" + LocalReplyWriter.When(at, ru, state) + ")" : "";
        return item.Status == EventStatuses.AwaitingFeedback
            ? ru ? $"Как прошло «{item.Title}»{when}? Получилось?" : $"How did “{item.Title}”{when} go? Did you do it?"
            : ru ? $"Сначала о незавершённом: «{item.Title}»{when} ждёт подтверждения. Подтвердить?"
            : $"Before we go on: “{item.Title}”{when} is still waiting for your confirmation. Shall I confirm it?";
    }

    private static LocalDecision Postpone(string text, ConversationState state, TimeExpression? time, bool ru)
    {
        if (state.Now is null)
        {
            return NoClock(ru);
        }

        var target = ResolveReferent(text, state);
        if (target is null)
        {
            return LocalDecision.Say(ru ? "Что именно перенести?" : "Which item should I move?");
        }

        var args = new Dictionary<string, object?> { [AssistantTools.Parameters.EventId] = target.Id.ToString("D") };
        if (time?.Shift is { } shift)
        {
            args[AssistantTools.Parameters.By] = shift.ToString("c", CultureInfo.InvariantCulture);
        }
        else if (time is { At: not null, DateIsExplicit: false, TimeOfDay: { } newClock } && target.LocalTime is { } current
            && TimeExpressionParser.ToInstant(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(current, state.TimeZone).DateTime), newClock, state.TimeZone) is var sameDay
            && sameDay > state.Now)
        {
            // "Move it to 19:00" means 19:00 on the item's own day, while that is still ahead.
            args[AssistantTools.Parameters.To] = AssistantPrompt.FormatInstant(sameDay);
        }
        else if (time?.At is { } at)
        {
            args[AssistantTools.Parameters.To] = AssistantPrompt.FormatInstant(at);
        }
        else if (time?.Date is { } date)
        {
            // A new day without a time keeps the item's own time of day.
            var clock = target.LocalTime is { } known ? TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(known, state.TimeZone).DateTime) : new TimeOnly(9, 0);
            args[AssistantTools.Parameters.To] = AssistantPrompt.FormatInstant(TimeExpressionParser.ToInstant(date, clock, state.TimeZone));
        }
        else
        {
            return LocalDecision.Say(ru ? "На когда перенести?" : "When should I move it to?");
        }

        return LocalDecision.Call(AssistantTools.PostponeEvent, args);
    }

    private static LocalDecision WithReferent(
        string text, ConversationState state, bool ru, string verb, Func<string, Dictionary<string, object?>> args, string tool)
    {
        var target = ResolveReferent(text, state, verb == "complete" ? EventStatuses.AwaitingFeedback : null);
        if (target is null)
        {
            return LocalDecision.Say(verb == "cancel"
                ? ru ? "Что именно отменить?" : "Which item should I cancel?"
                : ru ? "Какую задачу отметить выполненной?" : "Which task did you finish?");
        }

        return LocalDecision.Call(tool, args(target.Id.ToString("D")));
    }

    private static LocalDecision NoClock(bool ru) => LocalDecision.Say(ru
        ? "Я сейчас не знаю вашего времени, поэтому не могу поставить это в план. Попробуйте чуть позже."
        : "I don't know your current time right now, so I can't put that in your plan. Please try again shortly.");

    private static string LowerFirst(string s) => s.Length == 0 ? s : char.ToLower(s[0], CultureInfo.InvariantCulture) + s[1..];

    [GeneratedRegex(@"(?<!\w)(?:bye|bye-bye|goodbye|good\s+bye|see\s+you|see\s+ya|good\s+night|talk\s+(?:to\s+you\s+)?later|cya|пока(?!\s+(?:не|нет|что|ещ[её]))|до\s+свидания|до\s+встречи|до\s+связи|всего\s+доброго|спокойной\s+ночи|увидимся)(?!\w)", Options)]
    private static partial Regex GoodbyePattern();

    [GeneratedRegex(@"(?<!\w)(?:what'?s\s+on|what\s+is\s+on|what\s+do\s+i\s+have|what\s+have\s+i\s+got|what'?s\s+planned|what\s+is\s+planned|my\s+(?:agenda|schedule|plans?\s+for)|show\s+(?:me\s+)?(?:my\s+)?(?:agenda|schedule|plans?|tasks|day)|agenda|что\s+у\s+меня(?=\s*(?:сегодня|завтра|послезавтра|на\s|в\s|во\s|по\s|запланировано|\?|$))|какие\s+(?:у\s+меня\s+)?планы|мо[её]\s+расписание|мои\s+(?:дела|планы|задачи)|что\s+запланировано|покажи\s+(?:мои\s+)?(?:планы|расписание|дела|задачи)|что\s+на\s+(?:сегодня|завтра))(?!\w)", Options)]
    private static partial Regex AgendaPattern();

    [GeneratedRegex(@"(?<!\w)(?:move|postpone|reschedule|push(?:\s+back)?|delay|put\s+off|перенеси(?:те)?|перенести|перенесём|отложи(?:те)?|отложить|сдвинь(?:те)?|передвинь(?:те)?)(?!\w)", Options)]
    private static partial Regex PostponePattern();

    [GeneratedRegex(@"(?<!\w)(?:cancel|call\s+off|delete|remove|drop\s+it|scrap|forget\s+(?:it|about\s+it)|отмени(?:те)?|отменить|отмена|удали(?:те)?|убери(?:те)?|не\s+надо)(?!\w)", Options)]
    private static partial Regex CancelPattern();

    [GeneratedRegex(@"(?<!\w)(?:done|did\s+it|finished|completed|i\s+called|готово|сделано|сделал[аи]?|выполнено|выполнил[аи]?|закончил[аи]?)(?!\w)", Options)]
    private static partial Regex CompletePattern();

    [GeneratedRegex(@"(?<!\w)(?:partly|partially|half(?:\s+of\s+it)?|more\s+or\s+less|sort\s+of|kind\s+of|not\s+completely|not\s+all\s+of\s+it|частично|наполовину|отчасти|более[\s-]менее|не\s+совсем|не\s+до\s+конца)(?!\w)", Options)]
    private static partial Regex FeedbackPartlyPattern();

    [GeneratedRegex(@"(?<!\w)(?:missed(?:\s+it)?|skipped(?:\s+it)?|didn'?t\s+(?:go|happen|make\s+it|manage|work(?:\s+out)?)|did\s+not\s+(?:go|happen|make\s+it|manage|work(?:\s+out)?)|couldn'?t\s+make\s+it|it\s+(?:failed|fell\s+through)|not\s+(?:well|good|great)|badly|не\s+получилось|не\s+вышло|не\s+смог(?:ла|ли)?|не\s+успел[аи]?|пропустил[аи]?|пропущено|не\s+пош[её]л|не\s+пошла|сорвалось|прошло\s+плохо|плохо\s+прошло)(?!\w)", Options)]
    private static partial Regex FeedbackMissedPattern();

    [GeneratedRegex(@"(?<!\w)(?:(?:it\s+)?went\s+(?:well|great|fine|ok(?:ay)?|good|perfectly|smoothly)|it\s+was\s+(?:good|great|fine|ok(?:ay)?)|all\s+good|made\s+it|managed(?:\s+it)?|прошло\s+(?:хорошо|отлично|нормально|супер)|(?:хорошо|отлично|нормально)\s+прошло|получилось|всё\s+получилось|все\s+получилось|справил(?:ся|ась|ись)|успел[аи]?)(?!\w)", Options)]
    private static partial Regex FeedbackDonePattern();

    [GeneratedRegex(@"(?<!\w)(?:not|n't|never|haven'?t|didn'?t|не|нет|ещё\s+не|еще\s+не)(?!\w)", Options)]
    private static partial Regex NegationPattern();

    [GeneratedRegex(@"(?<!\w)(?:remind|add|create|schedule|напомни|добавь|создай|запланируй)", Options)]
    private static partial Regex CreateTriggerPattern();

    [GeneratedRegex(@"(?<!\w)(?:goals?|цель|цели|целью)(?!\w)", Options)]
    private static partial Regex GoalPattern();

    [GeneratedRegex(@"(?<!\w)(?:i\s+want\s+to|i'?d\s+like\s+to|i\s+wish\s+to|хочу|хотел[аи]?\s+бы)\s+(?:learn|become|be\s+able|lose|gain|save|improve|get\s+better|master|build|quit|stop|start|run\s+a|read\s+\d|write\s+a|finish\s+a|научиться|выучить|стать|похудеть|сбросить|накопить|бросить|пробежать|прочитать|прочесть|улучшить|начать|написать)(?!\w)", Options)]
    private static partial Regex GoalWishPattern();

    [GeneratedRegex(@"^(?:no|nope|nah|not\s+yet|not\s+now|нет|неа|пока\s+нет|ещё\s+нет|еще\s+нет|не\s+сейчас)(?!\w)", Options)]
    private static partial Regex NoPattern();

    [GeneratedRegex(@"(?<!\w)(?:tired|exhausted|sad|stressed|anxious|upset|bad\s+day|overwhelmed|устал[аи]?|грустно|тяжело|плохо|стресс|тревожно|вымотал[асься]*|нет\s+сил)(?!\w)", Options)]
    private static partial Regex MoodPattern();

    [GeneratedRegex(@"(?<!\w)(?:what\s+can\s+you\s+do|help\s+me|how\s+does\s+this\s+work|что\s+ты\s+умеешь|что\s+ты\s+можешь|помоги|помощь)(?!\w)", Options)]
    private static partial Regex CapabilitiesPattern();

    [GeneratedRegex(@"(?<!\w)(?:remind\s+me|reminder|schedule|book|meeting|appointment|event|call\s+with|напомни(?:те)?|напоминание|запланируй(?:те)?|встреч[аиу]|созвон|событие|запиши(?:те)?)(?!\w)", Options)]
    private static partial Regex EventTriggerPattern();

    [GeneratedRegex(@"(?<!\w)(?:task|to-?do|i\s+need\s+to|i\s+have\s+to|i\s+must|i\s+should|don'?t\s+let\s+me\s+forget|задач[ауи]|надо|нужно|не\s+забыть)(?!\w)", Options)]
    private static partial Regex TaskTriggerPattern();

    [GeneratedRegex(@"^(?:yes|yep|yeah|yup|sure|ok|okay|confirm|confirmed|correct|sounds\s+good|perfect|do\s+it|go\s+ahead|please\s+do|да|ага|угу|конечно|подтверждаю|подтверди(?:те)?|верно|хорошо|ок|окей|давай|точно|правильно)(?!\w)|(?<!\w)(?:confirm|подтверждаю|подтверди)", Options)]
    private static partial Regex ConfirmPattern();

    [GeneratedRegex(@"(?<!\w)(?:thanks?|thank\s+you|thx|спасибо|благодарю)(?!\w)", Options)]
    private static partial Regex ThanksPattern();

    [GeneratedRegex(@"^(?:hi|hello|hey|good\s+(?:morning|afternoon|evening)|привет|здравствуй(?:те)?|добрый\s+(?:день|вечер)|доброе\s+утро)(?!\w)", Options)]
    private static partial Regex GreetingPattern();

    [GeneratedRegex(@"(?<!\w)(?:how\s+are\s+you|how'?s\s+it\s+going|как\s+дела|как\s+ты)(?!\w)", Options)]
    private static partial Regex HowAreYouPattern();

    [GeneratedRegex(@"^(?:please|pls|can\s+you|could\s+you|would\s+you|hey|ok(?:ay)?|so|and|also|remind\s+me(?:\s+(?:to|about|that\s+i\s+(?:need|have)\s+to))?|set\s+(?:a\s+|an\s+)?reminder(?:\s+(?:to|for))?|(?:add|create|schedule)(?:\s+(?:a|an|the|new))?(?:\s+(?:event|task|reminder|habit|goal|to-?do))?(?:\s+(?:to|for|called))?|new\s+(?:goal|task|habit|event)|my\s+goal\s+is(?:\s+to)?|set\s+(?:a|my)\s+goal(?:\s+(?:to|of))?|goal|task|to-?do|i\s+need\s+to|i\s+have\s+to|i\s+must|i\s+should|don'?t\s+let\s+me\s+forget\s+to|i\s+want\s+to|i'?d\s+like\s+to|to|that|about|пожалуйста|напомни(?:те)?(?:\s+мне)?(?:\s+(?:о|об|про|что(?:\s+мне)?\s+(?:нужно|надо)))?|(?:добавь|создай|запиши|запланируй)(?:те)?(?:\s+(?:задачу|событие|привычку|цель|напоминание))?|мне\s+(?:нужно|надо)|нужно|надо|не\s+забыть|моя\s+цель(?:\s+[-—])?(?:\s+это)?|поставь\s+цель|новая\s+(?:цель|задача|привычка)|цель|задача|хочу|мне|a|an|the|i\s+have|i'?ve\s+got|there'?s|у\s+меня(?:\s+есть)?)(?!\w)[\s:,—-]*", Options)]
    private static partial Regex LeadingFillerPattern();

    [GeneratedRegex(@"[\s,]*(?<!\w)(?:please|pls|пожалуйста|for\s+me|мне|by|on|at|in|to|до|к|в|на)[\s.!]*$", Options)]
    private static partial Regex TrailingFillerPattern();
}
