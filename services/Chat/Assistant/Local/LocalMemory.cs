using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Aimi.AI.Local;

namespace Aimi.Chat.Api.Assistant.Local;

/// <summary>
/// What the local model does with memory, in English and Russian: acknowledges what the user says about their life, answers
/// questions about them from the prompt's <c>Remember:</c> block or a <c>search_memory</c> result, lists what it knows,
/// recognises "forget that …" and opens a new conversation with what the user is working towards. It never invents: an
/// answer is a remembered sentence said back ("You told me on 3 May: your sister lives in Paris"), or an honest "I don't know".
/// </summary>
public static partial class LocalMemory
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    /// <summary>How many facts "what do you know about me" lists, and how many sentences an answer about a topic or a period quotes.</summary>
    public const int MaxListed = 5;

    public const int MaxQuoted = 3;

    /// <summary>"Forget that I live in Berlin", "забудь, что я курю": what to forget, or null when the text is no such request.</summary>
    public static string? ForgetRequest(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = ForgetPattern().Match(text.Trim());
        if (!match.Success)
        {
            return null;
        }
        var what = match.Groups["what"].Value.Trim().TrimEnd('.', '!', '?').Trim();
        return TextNormalizer.Words(what).Count == 0 ? null : what;
    }

    /// <summary>"What do you know about me?", "что ты обо мне знаешь?" and the like.</summary>
    public static bool AsksWhatIsKnown(string text) => AboutMePattern().IsMatch(text);

    /// <summary>
    /// A question about the user, their people or their plans: it asks (a question word, or a question mark), names the user
    /// ("I", "my", "я", "мой", …) or someone by name, and is no request to do something ("can you move it?").
    /// </summary>
    public static bool IsQuestionAboutUser(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (RequestPattern().IsMatch(trimmed))
        {
            return false;
        }
        var asks = QuestionStartPattern().IsMatch(trimmed) || (trimmed.EndsWith('?') && QuestionWordPattern().IsMatch(trimmed));
        return asks && (FirstPersonPattern().IsMatch(trimmed) || MemoryMatch.MentionsKin(trimmed) || NamesSomeone(trimmed));
    }

    /// <summary>"What did I say about the trip?", "what did I do last weekend?": questions answered with every matching sentence, not the best one.</summary>
    public static bool AsksForAll(string text) => AllPattern().IsMatch(text);

    /// <summary>
    /// The answer to a question about the user from what memory holds, or null when nothing remembered answers it. The best
    /// matching sentence (a fact before a sentence said; the newest first), or for "what did I say about …" up to
    /// <see cref="MaxQuoted"/> of them, said back from the assistant's side with the day they were said.
    /// </summary>
    /// <param name="all">Quote every match (up to <see cref="MaxQuoted"/>) even without "what did I say about": a search of one period.</param>
    public static string? Answer(string question, IEnumerable<RememberedItem> remembered, ReplyLanguage language, DateTimeOffset? now, bool all = false)
    {
        ArgumentNullException.ThrowIfNull(remembered);
        var terms = MemoryMatch.Parse(question);
        var ru = language == ReplyLanguage.Russian;
        var aboutOthers = MemoryMatch.MentionsKin(question) || NamesSomeone(question);
        var candidates = Usable(remembered)
            .Select(r => (Item: r, Score: terms.IsEmpty ? (all ? 1 : null) : MemoryMatch.Score(terms, Searchable(r))))
            .Where(x => x.Score is not null)
            .Select(x => (x.Item, Score: x.Score + Preference(x.Item, language, aboutOthers)))
            .OrderByDescending(x => x.Score)
            .ThenByDescending(x => x.Item.Said ?? DateOnly.MinValue)
            .ThenBy(x => x.Item.Kind == RememberedItem.Kinds.Fact ? 0 : 1)
            .Select(x => x.Item)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }
        if (!AsksForAll(question) && !all)
        {
            var best = candidates[0];
            return (ru ? "Вы говорили" : "You told me") + When(best.Said, ru, now, leading: true) + ": " + SaidBack(best.Content, language) + ".";
        }
        var quoted = candidates.Take(MaxQuoted).OrderBy(r => r.Said ?? DateOnly.MinValue).ToList();
        var builder = new StringBuilder(ru ? "Вот что вы мне говорили:" : "Here's what you told me:");
        foreach (var item in quoted)
        {
            var when = When(item.Said, ru, now, leading: false);
            builder.Append("\n- ").Append(when.Length > 0 ? Perspective.Capitalize(when) + ": " : "").Append(SaidBack(item.Content, language));
        }
        return builder.ToString();
    }

    /// <summary>The reply after <c>search_memory</c> (the answer, or "I don't know yet") or <c>forget_memory</c> (done, nothing found, or which to forget).</summary>
    public static string AfterTool(ToolOutcome outcome, ReplyLanguage language, ConversationState state)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(state);
        var ru = language == ReplyLanguage.Russian;
        if (outcome.Error is not null)
        {
            return ru ? "Извините, я сейчас не могу заглянуть в память — спросите ещё раз чуть позже." : "Sorry, I can't reach my memory right now — please ask again in a moment.";
        }
        if (outcome.Tool == AssistantTools.SearchMemory)
        {
            var found = Items(LocalReplyWriter.Property(outcome.Result, "items"));
            var question = state.UserText ?? (outcome.Arguments.TryGetValue(AssistantTools.Parameters.Query, out var asked) ? asked?.ToString() : null) ?? "";
            // A search of a period (the call says from/to) quotes what was said then, not only the best match.
            var ofPeriod = outcome.Arguments.ContainsKey(AssistantTools.Parameters.From) || outcome.Arguments.ContainsKey(AssistantTools.Parameters.To);
            return Answer(question, found, language, LocalIntentRecognizer.LocalNow(state), all: ofPeriod) ?? DontKnow(language);
        }
        var candidates = Items(LocalReplyWriter.Property(outcome.Result, "candidates"));
        if (LocalReplyWriter.Property(outcome.Result, "needsConfirmation") is { ValueKind: System.Text.Json.JsonValueKind.True } && candidates.Count > 0)
        {
            var list = string.Concat(candidates.Select(c => "\n- " + c.Content.ReplaceLineEndings(" ").Trim()));
            return ru ? $"Я нашла об этом несколько записей:{list}\nЗабыть всё это?" : $"I found a few things about that:{list}\nShall I forget all of them?";
        }
        var forgotten = LocalReplyWriter.Property(outcome.Result, "forgotten") is { ValueKind: System.Text.Json.JsonValueKind.Number } n ? n.GetInt32() : 0;
        return forgotten > 0
            ? ru ? "Готово, забыла. Больше не буду об этом вспоминать." : "Done — I've forgotten it and won't bring it up again."
            : ru ? "Я ничего такого не помню — забывать нечего." : "I don't remember anything like that, so there's nothing to forget.";
    }

    // search_memory's items (or forget_memory's candidates) as the Remember block would show them.
    private static List<RememberedItem> Items(System.Text.Json.JsonElement? array)
    {
        if (array is not { ValueKind: System.Text.Json.JsonValueKind.Array } items)
        {
            return [];
        }
        return items.EnumerateArray()
            .Where(i => LocalReplyWriter.Text(i, "content") is not null)
            .Select(i => new RememberedItem(
                LocalReplyWriter.Text(i, "content")!,
                LocalReplyWriter.Text(i, "kind") ?? RememberedItem.Kinds.Note,
                DateOnly.TryParseExact(LocalReplyWriter.Text(i, "said"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null,
                LocalReplyWriter.Text(i, "about")))
            .ToList();
    }

    /// <summary>The honest reply when memory holds nothing that answers.</summary>
    public static string DontKnow(ReplyLanguage language) => language == ReplyLanguage.Russian
        ? "Пока не знаю — вы мне об этом не рассказывали. Расскажете — запомню."
        : "I don't know that yet — you haven't told me. If you tell me, I'll remember it.";

    /// <summary>"What do you know about me?": the few most useful current facts (one per kind of fact), else the latest things said.</summary>
    public static string WhatIKnow(IEnumerable<RememberedItem> remembered, ReplyLanguage language)
    {
        ArgumentNullException.ThrowIfNull(remembered);
        var ru = language == ReplyLanguage.Russian;
        var usable = Usable(remembered).ToList();
        var facts = usable.Where(r => r.Kind == RememberedItem.Kinds.Fact)
            .GroupBy(r => r.Predicate ?? r.Content)
            .Select(g => g.OrderByDescending(r => r.Said ?? DateOnly.MinValue).First());
        var said = usable.Where(r => r.Kind != RememberedItem.Kinds.Fact && MemoryMatch.AboutSpeaker(TextNormalizer.Words(r.Content)))
            .OrderByDescending(r => r.Said ?? DateOnly.MinValue);
        var listed = facts.Concat(said).Select(r => SaidBack(r.Content, language)).Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxListed).ToList();
        if (listed.Count == 0)
        {
            return ru
                ? "Пока я почти ничего о вас не знаю. Расскажите о себе — чем занимаетесь, к чему стремитесь, — и я запомню."
                : "I don't know much about you yet. Tell me about yourself — what you do, what you're working towards — and I'll remember.";
        }
        return (ru ? "Вот что я о вас знаю:" : "Here's what I know about you:") + string.Concat(listed.Select(l => "\n- " + l));
    }

    /// <summary>
    /// A short acknowledgement of a statement about the user's life that shows what was understood: "Got it: you work as a
    /// nurse.", "Good luck: you're preparing for the bar exam!", "Понятно: вы учитесь на юриста." Null for no statement.
    /// </summary>
    public static string? Acknowledge(string text, ReplyLanguage language)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var words = TextNormalizer.Words(trimmed);
        if (words.Count < 2 || trimmed.EndsWith('?') || QuestionStartPattern().IsMatch(trimmed)
            || !(FirstPersonPattern().IsMatch(trimmed) || MemoryMatch.MentionsKin(trimmed) || (words.Count >= 3 && NamesSomeoneFirst(trimmed))))
        {
            return null; // about the weather or the world, not the user's life
        }
        var ru = language == ReplyLanguage.Russian;
        if (NamePattern().Match(trimmed) is { Success: true } named)
        {
            var name = named.Groups["name"].Value;
            return ru ? $"Приятно познакомиться, {name}! Запомню." : $"Nice to meet you, {name}! I'll remember that.";
        }
        var first = FirstSentence(trimmed);
        var restated = TextNormalizer.Words(first).Count <= 25 ? Perspective.ToSecondPerson(first, language) : null;
        if (LossPattern().IsMatch(trimmed))
        {
            return restated is null
                ? ru ? "Мне очень жаль. Спасибо, что рассказали." : "I'm so sorry. Thank you for telling me."
                : ru ? $"Мне очень жаль: {restated}." : $"I'm so sorry to hear that {restated}.";
        }
        var lead = SuccessPattern().IsMatch(trimmed) ? (ru ? "Поздравляю" : "Congratulations")
            : ChallengePattern().IsMatch(trimmed) ? (ru ? "Удачи" : "Good luck")
            : null;
        if (restated is null)
        {
            var quote = first.Length <= 120 ? first : first[..120].TrimEnd() + "…";
            return lead is not null
                ? ru ? $"{lead}! Запомню: «{quote}»." : $"{lead}! I'll remember: “{quote}”."
                : ru ? $"Понятно, запомню: «{quote}»." : $"Got it, I'll remember: “{quote}”.";
        }
        return lead is not null ? $"{lead}! {Perspective.Capitalize(restated)}." : ru ? $"Понятно: {restated}." : $"Got it: {restated}.";
    }

    /// <summary>
    /// The opening question about something the user is working towards: what they said they are preparing or training for,
    /// else their most important active goal. Null when there is none.
    /// </summary>
    public static string? WorkingTowards(IEnumerable<RememberedItem> remembered, IReadOnlyList<string> goals, ReplyLanguage language)
    {
        ArgumentNullException.ThrowIfNull(remembered);
        ArgumentNullException.ThrowIfNull(goals);
        var ru = language == ReplyLanguage.Russian;
        var aim = Usable(remembered)
            .OrderBy(r => r.Predicate == "preparing_for" ? 0 : 1)
            .ThenByDescending(r => r.Said ?? DateOnly.MinValue)
            .Select(r => AimPattern().Match(r.Content))
            .FirstOrDefault(m => m.Success);
        if (aim is not null)
        {
            var target = Perspective.ToSecondPerson(aim.Groups["what"].Value.Trim().TrimEnd('.', '!'), language) ?? aim.Groups["what"].Value.Trim();
            var verb = aim.Groups["verb"].Value.ToLowerInvariant();
            if (verb.StartsWith("гот", StringComparison.Ordinal))
            {
                return $"Как идёт подготовка к {target}?";
            }
            if (verb.StartsWith("трен", StringComparison.Ordinal))
            {
                return $"Как идут тренировки к {target}?";
            }
            if (verb.StartsWith("раб", StringComparison.Ordinal))
            {
                return $"Как продвигается работа над {target}?";
            }
            return verb switch
            {
                "training for" => $"How is the training for {target} going?",
                "working on" or "working towards" => $"How is {target} coming along?",
                "studying for" => $"How is studying for {target} going?",
                _ => $"How are the preparations for {target} going?",
            };
        }
        if (goals.Count > 0)
        {
            return ru ? $"Как продвигается цель «{goals[0]}»?" : $"How is your goal “{goals[0]}” coming along?";
        }
        return null;
    }

    /// <summary>A remembered sentence as the assistant says it back ("your sister lives in Paris"); the user's own words, quoted, when it cannot be turned.</summary>
    public static string SaidBack(string content, ReplyLanguage language)
    {
        ArgumentNullException.ThrowIfNull(content);
        var clean = content.Trim().TrimEnd('.', '!');
        return Perspective.ToSecondPerson(clean, language) ?? (language == ReplyLanguage.Russian ? $"«{clean}»" : $"“{clean}”");
    }

    /// <summary>Remembered things that can answer: facts, and sentences the user stated (not their questions, nor requests to the assistant).</summary>
    private static IEnumerable<RememberedItem> Usable(IEnumerable<RememberedItem> remembered) => remembered.Where(r =>
        r.Kind is RememberedItem.Kinds.Fact or RememberedItem.Kinds.Episode or RememberedItem.Kinds.Note
        && (r.Kind == RememberedItem.Kinds.Fact || TextNormalizer.Words(r.Content).Count >= 3) // not "hi", "bye", "thanks!"
        && !r.Content.TrimEnd().EndsWith('?')
        && !QuestionStartPattern().IsMatch(r.Content.Trim())
        && ForgetRequest(r.Content) is null
        && !RequestPattern().IsMatch(r.Content.Trim()));

    // Between equal matches: what was said in the question's language, and for a question about the user, what is about the user
    // ("What's my profession?" is "I'm an engineer", not "my brother works at a bakery").
    private static double Preference(RememberedItem item, ReplyLanguage language, bool aboutOthers) =>
        (LocalIntentRecognizer.DetectLanguage(item.Content) == language ? 1 : 0)
        + (!aboutOthers && MemoryMatch.AboutSpeaker(TextNormalizer.Words(item.Content)) ? 0.5 : 0);

    // A fact's kind says what it is about even when its words do not ("I'm a nurse" answers "what is my job?").
    private static string Searchable(RememberedItem item) => item.Predicate switch
    {
        null => item.Content,
        "works_as" or "works_at" => item.Content + " work job работа",
        "lives_in" => item.Content + " live home живу",
        "studies_at" or "studies" => item.Content + " study учусь",
        "name_is" => item.Content + " name зовут",
        "preparing_for" => item.Content + " prepare готовлюсь",
        "likes" => item.Content + " like люблю",
        "dislikes" => item.Content + " hate",
        var other when other.StartsWith("allerg", StringComparison.Ordinal) => item.Content + " allergy",
        _ => item.Content,
    };

    private static string When(DateOnly? said, bool ru, DateTimeOffset? now, bool leading)
    {
        if (said is not { } day)
        {
            return "";
        }
        var today = now is { } n ? DateOnly.FromDateTime(n.DateTime) : (DateOnly?)null;
        if (day == today)
        {
            return ru ? " сегодня" : leading ? " today" : "today";
        }
        if (day == today?.AddDays(-1))
        {
            return ru ? " вчера" : leading ? " yesterday" : "yesterday";
        }
        var year = today is { } t && t.Year == day.Year ? "" : " " + day.Year.ToString(CultureInfo.InvariantCulture);
        var date = ru ? $"{day.Day} {LocalReplyWriter.MonthsRu[day.Month - 1]}{year}" : day.ToString("d MMMM", CultureInfo.InvariantCulture) + year;
        return ru ? " " + date : leading ? " on " + date : "on " + date;
    }

    private static string FirstSentence(string text)
    {
        var end = SentenceEndPattern().Match(text);
        return (end.Success ? text[..end.Index] : text).Trim().TrimEnd('.', '!', '…');
    }

    // "Anna", "Contoso": a capitalised word after the first one names someone or something of the user's.
    private static bool NamesSomeone(string text) =>
        TextNormalizer.Words(text).Count > 1 && text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Any(w => w.Length > 1 && char.IsUpper(w[0]));

    // "Anna got married", "Макс переехал": a sentence that starts with a name (not "The", "It", "Это" …).
    private static bool NamesSomeoneFirst(string text)
    {
        var first = text.Split(' ', 2)[0].Trim(',', '!', '.');
        return first.Length > 1 && char.IsUpper(first[0]) && !CommonStarts.Contains(first.ToLowerInvariant());
    }

    private static readonly HashSet<string> CommonStarts =
    [
        "the", "a", "an", "it", "it's", "this", "that", "these", "those", "there", "here", "what", "so", "and", "but", "today", "yesterday", "tomorrow",
        "weather", "everything", "nothing", "someone", "everyone", "people", "life", "work",
        "это", "эта", "этот", "то", "там", "тут", "здесь", "сегодня", "вчера", "завтра", "погода", "всё", "все", "ничего", "жизнь", "работа", "так", "и", "а", "но",
    ];

    [GeneratedRegex(@"^(?:please\s+|pls\s+|пожалуйста,?\s+)?(?:forget|erase|stop\s+remembering|delete\s+(?:from\s+(?:your\s+)?memory\s+)?|remove\s+from\s+(?:your\s+)?memory\s+|don'?t\s+remember|забудь(?:те)?|сотри(?:те)?(?:\s+из\s+памяти)?|удали(?:те)?(?:\s+из\s+памяти|\s+(?=информаци|запис|данны))|не\s+запоминай(?:те)?|не\s+помни(?:те)?)(?!\s+(?:it|about\s+it|this|that\s+one)[\s.!]*$)[\s,:]*(?:(?:(?:the\s+)?(?:info(?:rmation)?|fact|memory|note)\s+(?:that|about)|that|about|what\s+i\s+(?:said|told\s+you)\s+about|the\s+fact\s+that|(?:информаци[юи]|запис[ьи]|данные)(?:\s+(?:о\s+том,?\s+что|про|об?))?|что|о\s+том,?\s+что|про|об?|то,?\s+что)[\s,]+)?(?<what>.+)$", Options)]
    private static partial Regex ForgetPattern();

    [GeneratedRegex(@"(?<!\w)(?:what\s+(?:do|did)\s+you\s+(?:know|remember)\s+about\s+me|what\s+(?:have\s+you|did\s+you)\s+(?:learn(?:ed|t)|found\s+out|figured\s+out)\s+about\s+me|what\s+else\s+do\s+you\s+know|(?:что\s+)?(?:ты|вы)?\s*(?:обо\s+мне|про\s+меня)\s+(?:знаешь|знаете|помнишь|помните)|(?:знаешь|знаете|помнишь|помните)\s+(?:обо\s+мне|про\s+меня)|what\s+(?:have\s+i\s+told|did\s+i\s+tell)\s+you(?:\s+about\s+(?:me|myself))?\s*\??$|tell\s+me\s+(?:about\s+)?(?:me|myself|what\s+you\s+know\s+about\s+me)|who\s+am\s+i|what\s+you\s+know\s+about\s+me|что\s+(?:ты|вы)\s+(?:знаешь|знаете|помнишь|помните)\s+обо\s+мне|что\s+(?:ты|вы)\s+обо\s+мне\s+(?:знаешь|знаете|помнишь|помните)|что\s+(?:ты\s+)?(?:знаешь|знаете)\s+про\s+меня|расскажи(?:те)?\s+(?:обо\s+мне|что\s+(?:ты\s+)?знаешь\s+обо\s+мне)|кто\s+я(?:\s+такой|\s+такая)?\s*\??$)", Options)]
    private static partial Regex AboutMePattern();

    [GeneratedRegex(@"^(?:what|where|when|who|whom|whose|which|how|why|do|does|did|am|is|are|was|were|have|has|had|tell\s+me|remind\s+me\s+(?:what|where|when|who|how|which|of)|do\s+you\s+(?:know|remember)|что|где|когда|кто|какой|какая|какое|какие|каким|какую|как|куда|откуда|зачем|почему|сколько|кем|чем|с\s+кем|у\s+кого|(?:к|о|об|на|за|про|для|от|у|с)\s+(?:ч[её]му|ч[её]м|что|чего|кого|кому|ком)|помнишь|помните|ты\s+помнишь|вы\s+помните|ты\s+знаешь|вы\s+знаете|знаешь|напомни(?:те)?,?\s+(?:что|где|когда|кто|как|какой|какая|какие|кем|о\s+ч[её]м|про\s+что)|скажи(?:те)?,?\s+(?:что|где|когда|кто|как|какой|кем))(?!\w)", Options)]
    private static partial Regex QuestionStartPattern();

    [GeneratedRegex(@"(?<!\w)(?:what|where|when|who|which|how|что|где|когда|кто|какой|какая|какие|как|куда|кем|ли|ч[её]му|ч[её]м|чего|кого|кому)(?!\w)", Options)]
    private static partial Regex QuestionWordPattern();

    [GeneratedRegex(@"^(?:can\s+you|could\s+you|would\s+you|will\s+you|please|pls|remind\s+me\s+to|can\s+i|could\s+i|shall\s+i|should\s+i|можешь|можете|не\s+мог(?:ла|ли)?\s+бы|напомни(?:те)?\s+(?:мне\s+)?(?:завтра|сегодня|через|в\s+\d|купить|позвонить|сделать|про|о|об)|пожалуйста)(?!\w)", Options)]
    private static partial Regex RequestPattern();

    [GeneratedRegex(@"(?<!\w)(?:i|i'm|i’m|im|i've|i’ve|me|my|mine|myself|we|we're|we’re|our|ours|us|я|мне|меня|мной|мой|моя|моё|мое|мои|моего|моей|моему|моих|мою|моим|моими|мы|нас|нам|наш|наша|наше|наши)(?!\w)", Options)]
    private static partial Regex FirstPersonPattern();

    [GeneratedRegex(@"(?<!\w)(?:what\s+(?:did|have)\s+i\s+(?:say|said|tell|told|mention(?:ed)?)|what\s+i\s+(?:said|told\s+you)|everything|all\s+(?:i|you)|что\s+я\s+(?:говорил|говорила|рассказывал|рассказывала|писал|писала)|всё|все,?\s+что)(?!\w)", Options)]
    private static partial Regex AllPattern();

    [GeneratedRegex(@"(?<!\w)(?:died|passed\s+away|lost\s+my|broke\s+up|got\s+fired|was\s+fired|laid\s+off|умер(?:ла|ли)?|скончал(?:ся|ась)|потерял[аи]?|расстались|уволили)(?!\w)", Options)]
    private static partial Regex LossPattern();

    [GeneratedRegex(@"(?<!\w)(?:got\s+(?:the\s+job|a\s+job|promoted|engaged|married|accepted|in)|passed|won|finally\s+(?:did|finished)|(?:получил[аи]?|нашл[аи]?)\s+работу|сдал[аи]?|выиграл[аи]?|победил[аи]?|поступил[аи]?|повысили|обручил(?:ся|ась|ись)|женил(?:ся|ись)|вышла\s+замуж)(?!\w)", Options)]
    private static partial Regex SuccessPattern();

    [GeneratedRegex(@"(?<!\w)(?:exam|exams|test|interview|competition|race|marathon|audition|presentation|deadline|preparing\s+for|training\s+for|studying\s+for|экзамен\w*|зач[её]т\w*|собеседовани\w*|соревновани\w*|марафон\w*|выступлени\w*|презентаци\w*|дедлайн\w*|готовлюсь)(?!\w)", Options)]
    private static partial Regex ChallengePattern();

    [GeneratedRegex(@"(?<!\w)(?<verb>preparing\s+for|training\s+for|studying\s+for|working\s+on|working\s+towards|готовлюсь\s+к|готовлюсь\s+ко|тренируюсь\s+к|тренируюсь\s+перед|работаю\s+над)\s+(?<what>[^.!?;]+)", Options)]
    private static partial Regex AimPattern();

    [GeneratedRegex(@"^(?:my\s+name\s+is|call\s+me|i'?m\s+called|меня\s+зовут|зови(?:те)?\s+меня)\s+(?<name>\p{Lu}[\p{L}-]+)[\s.!]*$", RegexOptions.IgnoreCase)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"(?<=[.!?…])\s")]
    private static partial Regex SentenceEndPattern();
}

/// <summary>The days a question asks about ("last weekend", "в мае", "today"), in the user's calendar.</summary>
public sealed partial record AskedPeriod(DateOnly From, DateOnly To)
{
    [GeneratedRegex(@"(?<!\w)(?:today|this\s+morning|tonight|this\s+evening|сегодня|сегодняшн\w*|этим\s+утром)(?!\w)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TodayPattern();

    /// <summary>The period of a question, or null: a month named without a year is its latest one up to today.</summary>
    public static AskedPeriod? Of(string question, DateTimeOffset localNow)
    {
        ArgumentNullException.ThrowIfNull(question);
        var query = TimeExpressions.ParseQuery(question, localNow);
        if (query.Period is null && query.Month is null && TodayPattern().IsMatch(question))
        {
            // Memory's expressions are the past ones a line names; a question may ask about today as well.
            var today = DateOnly.FromDateTime(localNow.DateTime);
            return new AskedPeriod(today, today);
        }
        if (query.Period is { } span)
        {
            return new AskedPeriod(span.From, span.To);
        }
        if (query.Month is { } month)
        {
            var today = DateOnly.FromDateTime(localNow.DateTime);
            var year = month <= today.Month ? today.Year : today.Year - 1;
            var first = new DateOnly(year, month, 1);
            return new AskedPeriod(first, first.AddMonths(1).AddDays(-1));
        }
        return null;
    }
}
