using System.Text.RegularExpressions;
using Aimi.AI.Local;

namespace Aimi.Chat.Api.Assistant;

/// <summary>
/// Which remembered sentences a question or a "forget …" request is about, by its words (English and Russian). Memory's
/// search ranks by meaning and always returns its best few; this decides whether one of them really answers: every
/// <em>anchor</em> of the request (a word that names something — "sister", "exam", "Berlin", "отпуск") must be in the
/// sentence, in any form ("sisters", "экзамену"), or as a near synonym ("job" ~ "work"). Generic verbs ("live", "work",
/// "do", "живу") are <em>cues</em>: they only add to the score. Deterministic; used by the local model and by the
/// <c>forget_memory</c> tool (which must decide what a remote model's query means the same way).
/// </summary>
public static partial class MemoryMatch
{
    /// <summary>A request reduced to its words: anchors that must be present, cues that help.</summary>
    public sealed record Terms(IReadOnlyList<string> Anchors, IReadOnlyList<string> Cues)
    {
        public bool IsEmpty => Anchors.Count == 0 && Cues.Count == 0;
    }

    /// <summary>The anchors and cues of a question or request ("Where does my sister live?" → anchors sister, cues live).</summary>
    public static Terms Parse(string text)
    {
        var anchors = new List<string>();
        var cues = new List<string>();
        foreach (var word in Words(text))
        {
            if (StopWords.Contains(word) || word.Length < 2)
            {
                continue;
            }
            var stem = Stem(word);
            (CueWords.Contains(word) || CueStems.Contains(stem) ? cues : anchors).Add(stem);
        }
        return new Terms(anchors.Distinct().ToList(), cues.Distinct().ToList());
    }

    /// <summary>
    /// How well <paramref name="sentence"/> answers <paramref name="terms"/>: null when an anchor is missing (two or more
    /// anchors may miss one when there are four or more), else 2 per anchor and 1 per cue found. A request of cues only
    /// ("where do I live?") needs a cue and a sentence about the speaker themself ("I …", "я …").
    /// </summary>
    public static double? Score(Terms terms, string sentence)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var words = Words(sentence);
        var stems = words.Select(Stem).ToList();
        var anchors = terms.Anchors.Count(a => stems.Any(s => Related(a, s)));
        var cues = terms.Cues.Count(c => stems.Any(s => Related(c, s)));
        var allowedMisses = terms.Anchors.Count >= 4 ? 1 : 0;
        if (terms.Anchors.Count - anchors > allowedMisses)
        {
            return null;
        }
        if (terms.Anchors.Count == 0 && (cues == 0 || !AboutSpeaker(words)))
        {
            return null;
        }
        return anchors * 2 + cues;
    }

    // Idioms read as the word they mean, on both sides: "for a living" is work, "can't stand" and "не люблю" are hate.
    private static IReadOnlyList<string> Words(string text) =>
        TextNormalizer.Words(HatePattern().Replace(LivingPattern().Replace(text, " work "), " hate "));

    /// <summary>Whether a sentence is about its speaker: "I …", "I'm …", "я …", "мне …", "меня …", "у меня …" among its first words.</summary>
    public static bool AboutSpeaker(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        for (var i = 0; i < Math.Min(words.Count, 4); i++)
        {
            if (words[i] is "i" or "im" or "ive" or "id" or "я" or "мне" or "меня")
            {
                return true;
            }
            if (words[i] is "my" or "мой" or "моя" or "мое" or "мои" && i + 1 < words.Count)
            {
                return !People.Contains(words[i + 1]); // "my sister …" is about the sister; "my job …", "my exam …" about the speaker
            }
        }
        // Russian drops the pronoun: "Готовлюсь к сессии", "Работаю в банке".
        return words.Count > 0 && FirstPersonVerb().IsMatch(words[0]);
    }

    /// <summary>Whether a text names one of the user's family ("mom", "my sister's", "мамы", "у брата").</summary>
    public static bool MentionsKin(string text) => TextNormalizer.Words(text).Any(w => Kin.Contains(w) || KinStems.Contains(Stem(w)));

    /// <summary>Two stems name the same thing: equal, one a longer form of the other (≥ 4 letters), or near synonyms.</summary>
    private static bool Related(string a, string b) =>
        a == b
        || (Math.Min(a.Length, b.Length) >= 4 && (a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal)))
        || (GroupOf(a) is { } group && group == GroupOf(b));

    // A stem's synonym group: its own entry, else the longest entry of four letters or more it starts with ("работа" → "работ").
    private static int? GroupOf(string stem)
    {
        if (Synonyms.TryGetValue(stem, out var exact))
        {
            return exact;
        }
        for (var length = stem.Length - 1; length >= 4; length--)
        {
            if (Synonyms.TryGetValue(stem[..length], out var group))
            {
                return group;
            }
        }
        return null;
    }

    /// <summary>A light stemmer: English -ing/-ed/-es/-s/-y and Russian inflections are cut while three letters remain.</summary>
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var cyrillic = word.Any(c => c is >= 'а' and <= 'я');
        foreach (var ending in cyrillic ? RussianEndings : EnglishEndings)
        {
            if (word.Length - ending.Length >= 3 && word.EndsWith(ending, StringComparison.Ordinal))
            {
                return word[..^ending.Length];
            }
        }
        return word;
    }

    private static readonly string[] EnglishEndings = ["ying", "ies", "ied", "ing", "ed", "es", "s", "y", "e"];

    private static readonly string[] RussianEndings =
    [
        "ешься", "ишься", "ться", "тесь", "ется", "ится", "ются", "ятся", "ете", "ите", "ает", "яет", "ует", "ешь", "ишь", "ого", "его", "ому", "ему",
        "ыми", "ими", "ами", "ями", "ем", "им", "ет", "ит", "ут", "ют", "ат", "ят", "ах", "ях", "ой", "ей", "ом", "ам", "ям", "ую", "юю", "ая", "яя",
        "ое", "ее", "ые", "ие", "ый", "ий", "ов", "ев", "ть", "ла", "ли", "ло", "сь", "ся", "а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й", "л",
    ];

    // Question and request words, pronouns, auxiliaries, prepositions, time words (a period is read separately) and the verbs
    // of telling and remembering: none of them says what the question is about.
    private static readonly HashSet<string> StopWords =
    [
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "for", "from", "with", "by", "about", "into", "as", "than", "then",
        "is", "are", "am", "was", "were", "be", "been", "being", "do", "does", "did", "done", "doing", "have", "has", "had", "will", "would", "can",
        "could", "should", "shall", "may", "might", "must", "s", "m", "re", "ve", "ll", "d", "t", "don", "didn", "doesn", "isn", "aren", "wasn",
        "i", "me", "my", "mine", "myself", "im", "ive", "you", "your", "yours", "yourself", "we", "our", "us", "it", "its", "this", "that", "these", "those",
        "what", "which", "who", "whom", "whose", "where", "when", "why", "how", "there", "here", "please", "tell", "know", "knew", "remember",
        "remind", "say", "said", "says", "told", "mention", "mentioned", "think", "thought", "again", "ever", "still", "yet", "so", "too", "very",
        "really", "any", "some", "all", "anything", "everything", "something", "whatever", "thing", "things", "stuff", "just", "also", "now", "today", "yesterday", "tomorrow",
        "week", "weekend", "month", "year", "last", "next", "ago", "day", "days", "lately", "currently", "nowadays", "anymore", "exactly", "actually",
        "usually", "right", "else", "forget", "forgot", "delete", "erase", "remove", "please", "again", "okay", "ok",
        "что", "чему", "чего", "чем", "чём", "кого", "кому", "где", "когда", "кто", "как", "какой", "какая", "какое", "какие", "какого", "какую", "куда", "зачем", "почему", "сколько", "ли", "же",
        "я", "мой", "моя", "мое", "мои", "моего", "моей", "моему", "моим", "моих", "мою", "мне", "меня", "мной", "ты", "тебе", "тебя", "вы", "вам",
        "вас", "ваш", "ваша", "мы", "нам", "нас", "у", "в", "во", "на", "о", "об", "обо", "про", "с", "со", "к", "ко", "по", "за", "из", "от", "до",
        "и", "а", "но", "или", "это", "этот", "эта", "то", "тот", "так", "был", "была", "было", "были", "есть", "быть", "говорил", "говорила",
        "говорили", "рассказывал", "рассказывала", "рассказывали", "сказал", "сказала", "помнишь", "помните", "знаешь", "знаете", "скажи",
        "скажите", "напомни", "напомните", "вчера", "сегодня", "завтра", "неделе", "неделю", "выходных", "выходные", "месяце", "году", "прошлой",
        "прошлые", "прошлом", "все", "всего", "ничего", "забудь", "забудьте", "удали", "удалите", "сотри", "сотрите", "пожалуйста", "там", "тут", "не", "ну", "уже",
    ];

    // Generic verbs: a question about where the user lives or what they do for work is still about the user with only these.
    private static readonly HashSet<string> CueWords =
    [
        "live", "lives", "lived", "living", "work", "works", "worked", "working", "study", "studies", "studied", "studying", "go", "goes", "went",
        "going", "like", "likes", "liked", "love", "loves", "loved", "get", "got", "make", "made", "feel", "felt", "want", "wanted", "prepare",
        "preparing", "prepared", "plan", "planning", "planned", "doing", "called", "name", "ready", "getting", "based", "staying", "located", "from",
        // What kind of thing is asked for, not a thing to find: "what subject do I teach?", "what race am I training for?"
        "subject", "kind", "type", "sort", "food", "dish", "race", "sport", "city", "town", "country", "language", "colour", "color", "book",
        "film", "movie", "song", "band", "game", "place", "old", "age", "предмет", "вид", "тип", "еда", "еду", "город", "страна", "язык", "цвет",
        "книга", "фильм", "песня", "игра", "место", "возраст",
        "живу", "живешь", "живет", "живете", "жить", "работаю", "работаешь", "работает", "работаете", "работать", "учусь", "учишься", "учится",
        "учитесь", "учиться", "люблю", "любишь", "любит", "любите", "делаю", "делал", "делала", "делали", "делать", "ходил", "ходила", "ездил",
        "ездила", "готовлюсь", "готовишься", "готовится", "готовитесь", "зовут", "имя", "занимаюсь", "занимаешься", "занимаетесь", "кем", "зовут", "звать",
    ];

    private static readonly HashSet<string> CueStems = CueWords.Select(Stem).ToHashSet();

    // The user's family and partner: who they name without "my" ("Where does mom live?", "Где живёт мама?"), in any form (by stem).
    private static readonly HashSet<string> Kin =
    [
        "mom", "mum", "mother", "dad", "father", "parents", "parent", "brother", "brothers", "sister", "sisters", "wife", "husband", "son", "sons",
        "daughter", "daughters", "grandma", "grandmother", "grandpa", "grandfather", "grandparents", "partner", "boyfriend", "girlfriend",
        "мама", "мать", "папа", "отец", "родители", "брат", "братья", "сестра", "сестры", "жена", "муж", "сын", "дочь", "дочка", "дочери",
        "бабушка", "дедушка", "парень", "парня", "девушка",
    ];

    private static readonly HashSet<string> KinStems = Kin.Select(Stem).ToHashSet();

    // Nouns after "my" that make a sentence about someone else ("my sister lives …", "мой брат учится …"): kin and the rest.
    private static readonly HashSet<string> People =
    [
        .. Kin,
        "kids", "children", "child", "aunt", "uncle", "cousin", "niece", "nephew", "fiance", "fiancee", "friend", "friends", "boss", "colleague",
        "colleagues", "coworker", "neighbour", "neighbor", "roommate", "flatmate", "teacher", "doctor", "therapist", "family",
        "дети", "ребенок", "тетя", "дядя", "двоюродный", "двоюродная", "племянник", "племянница", "друг", "подруга",
        "друзья", "начальник", "начальница", "коллега", "коллеги", "сосед", "соседка", "учитель", "врач", "семья",
    ];

    // Near synonyms, by stem: "what is my job?" finds "I work as a nurse"; "where is my home?" finds "I live in Munich".
    private static readonly Dictionary<string, int> Synonyms = Groups(
        ["job", "work", "profession", "occupation", "career", "employer", "работ", "професси", "должност", "кем", "занима", "trabaj"],
        ["home", "liv", "house", "apartment", "flat", "moved", "based", "staying", "located", "from", "жив", "жит", "дом", "квартир", "переехал", "переехала"],
        ["prepar", "ready", "studying", "train", "готов", "подготовк"],
        ["study", "stud", "student", "university", "college", "degree", "major", "уч", "учеб", "университет", "институт", "студент"],
        ["allergy", "allergi", "allergic", "аллерги"],
        ["exam", "test", "экзамен", "зачет"],
        ["name", "call", "зовут", "имя"],
        ["vacation", "holiday", "trip", "отпуск", "поездк", "каникул"],
        ["dog", "puppy", "собак", "пес", "щенок"],
        ["cat", "kitten", "кот", "кошк", "котенок"],
        ["smok", "cigarett", "кур", "сигарет"],
        ["hate", "dislik", "ненавиж"],
        ["like", "love", "enjoy", "favourit", "favorit", "люблю", "нрав"]);

    private static Dictionary<string, int> Groups(params string[][] groups)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < groups.Length; i++)
        {
            foreach (var word in groups[i])
            {
                map[Stem(word)] = i;
            }
        }
        return map;
    }

    [GeneratedRegex(@"\bfor\s+a\s+living\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LivingPattern();

    [GeneratedRegex(@"(?<!\w)(?:can'?t\s+stand|cannot\s+stand|don'?t\s+like|do\s+not\s+like|терпеть\s+не\s+могу|не\s+терплю|не\s+люблю)(?!\w)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HatePattern();

    [GeneratedRegex(@"^[а-я]{3,}(?:юсь|усь|аю|яю|ую|ею)$")]
    private static partial Regex FirstPersonVerb();
}
