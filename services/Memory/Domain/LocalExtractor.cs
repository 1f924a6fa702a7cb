using System.Text.RegularExpressions;

namespace Aimi.Memory.Api.Domain;

/// <summary>
/// The offline extractor: rules for English and Russian first-person statements ("I live in…", "я работаю в…",
/// "my sister Anna…", likes, dislikes, states, allergies, what one studies), facts about a relative or friend named in
/// the conversation ("my sister Anna lives in Paris", later "Anna works at SAP"), intents ("I want to…", "хочу…"), a mood lexicon and an extractive
/// summary (the user's most informative sentences, in order, citing their lines). It reads only sentences it has a
/// pattern for: no coreference ("she moved to Paris" is not attached to Anna), no negation beyond "don't like"/"не
/// люблю", no third-person facts about anyone not introduced as a relative or friend, no paraphrase ("Berlin is home
/// now" is missed), no Russian case normalisation ("в Москве" stays as said), and no understanding of sarcasm or
/// hypotheticals ("if I lived in Rome" is read as a fact).
/// </summary>
public sealed partial class LocalExtractor : IConversationExtractor
{
    public const int SummarySentences = 3;
    private const int MaxObjectLength = 80;

    private sealed record Rule(Regex Pattern, string Predicate, Func<Match, string?> Read);

    private static readonly Rule[] Rules =
    [
        new(EnLivesIn(), Predicates.LivesIn, Plain), new(RuLivesIn(), Predicates.LivesIn, Plain),
        new(EnWorksAt(), Predicates.WorksAt, Plain), new(RuWorksAt(), Predicates.WorksAt, Plain),
        new(EnWorksAs(), Predicates.WorksAs, Plain), new(RuWorksAs(), Predicates.WorksAs, Plain),
        new(EnStudiesAt(), Predicates.StudiesAt, Plain), new(RuStudiesAt(), Predicates.StudiesAt, Plain),
        new(EnStudies(), Predicates.Studies, Plain), new(RuStudies(), Predicates.Studies, Plain),
        new(EnAllergicTo(), Predicates.AllergicTo, Plain), new(RuAllergicTo(), Predicates.AllergicTo, Plain),
        new(EnName(), Predicates.NameIs, Plain), new(RuName(), Predicates.NameIs, Plain),
        new(EnRelationship(), Predicates.RelationshipStatus, m => RelationshipOf(m.Groups["o"].Value)),
        new(RuRelationship(), Predicates.RelationshipStatus, m => RelationshipOf(m.Groups["o"].Value)),
        new(EnPreparing(), Predicates.PreparingFor, Plain), new(RuPreparing(), Predicates.PreparingFor, Plain),
        new(EnDislikes(), Predicates.Dislikes, Plain), new(RuDislikes(), Predicates.Dislikes, Plain),
        new(EnLikes(), Predicates.Likes, Plain), new(RuLikes(), Predicates.Likes, Plain),
        new(EnFeels(), Predicates.Feels, m => m.Groups["o"].Value.StartsWith("not ", StringComparison.OrdinalIgnoreCase) ? null : Lexicon.StateOf(m.Groups["o"].Value)),
        new(RuFeels(), Predicates.Feels, m => Lexicon.StateOf(m.Groups["o"].Value)),
        new(EnRelative(), Predicates.HasRelative, Relative), new(RuRelative(), Predicates.HasRelative, Relative),
    ];

    // Statements about someone else; the subject is the match's "who", kept only for a relative or friend already named.
    private static readonly Rule[] PeopleRules =
    [
        new(EnPersonLivesIn(), Predicates.LivesIn, Plain), new(RuPersonLivesIn(), Predicates.LivesIn, Plain),
        new(EnPersonWorksAt(), Predicates.WorksAt, Plain), new(RuPersonWorksAt(), Predicates.WorksAt, Plain),
        new(EnPersonWorksAs(), Predicates.WorksAs, Plain), new(RuPersonWorksAs(), Predicates.WorksAs, Plain),
        new(EnPersonStudiesAt(), Predicates.StudiesAt, Plain), new(RuPersonStudiesAt(), Predicates.StudiesAt, Plain),
        new(EnPersonDislikes(), Predicates.Dislikes, Plain), new(RuPersonDislikes(), Predicates.Dislikes, Plain),
        new(EnPersonLikes(), Predicates.Likes, Plain), new(RuPersonLikes(), Predicates.Likes, Plain),
    ];

    private static readonly Dictionary<string, string> Relations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mom"] = "mother", ["mum"] = "mother", ["dad"] = "father", ["grandma"] = "grandmother", ["grandpa"] = "grandfather", ["best friend"] = "friend",
        ["сестра"] = "sister", ["брат"] = "brother", ["мама"] = "mother", ["мать"] = "mother", ["папа"] = "father", ["отец"] = "father",
        ["жена"] = "wife", ["муж"] = "husband", ["сын"] = "son", ["дочь"] = "daughter", ["дочка"] = "daughter", ["друг"] = "friend",
        ["подруга"] = "friend", ["начальник"] = "boss", ["начальница"] = "boss", ["бабушка"] = "grandmother", ["дедушка"] = "grandfather",
        ["коллега"] = "colleague", ["парень"] = "boyfriend", ["девушка"] = "girlfriend",
    };

    public Task<Extraction> ExtractAsync(IReadOnlyList<ConversationLine> lines, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return Task.FromResult(Extract(lines));
    }

    public static Extraction Extract(IReadOnlyList<ConversationLine> lines)
    {
        var facts = new List<Fact>();
        var intents = new List<string>();
        var scored = new List<(int Order, int Score, string Sentence, string LineId)>();
        var spoken = new List<string>();
        var people = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var order = 0;
        foreach (var line in lines.Where(l => l.IsUser))
        {
            spoken.Add(line.Content);
            foreach (var sentence in Sentences(line.Content))
            {
                var found = FactsIn(sentence, line, people);
                facts.AddRange(found);
                var sentenceIntents = IntentsIn(sentence).ToList();
                intents.AddRange(sentenceIntents);
                var score = 3 * found.Count + 2 * sentenceIntents.Count + (Lexicon.MoodOf([sentence]) is null ? 0 : 1) + (sentence.Length > 20 ? 1 : 0);
                scored.Add((order++, score, line.Speaker is null ? sentence : $"{line.Speaker}: {sentence}", line.Id));
            }
        }

        var chosen = scored.OrderByDescending(s => s.Score).ThenBy(s => s.Order).Take(SummarySentences).OrderBy(s => s.Order).ToList();
        return new Extraction(
            string.Join(' ', chosen.Select(s => s.Sentence)),
            Merge(facts),
            intents.Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
            Lexicon.MoodOf(spoken),
            Lexicon.TopicsOf(spoken))
        {
            NarrativeSourceIds = chosen.Select(s => s.LineId).Distinct(StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>The facts one sentence states on its own (for the extraction tables in the tests).</summary>
    public static IReadOnlyList<Fact> FactsIn(string sentence, ConversationLine line) =>
        FactsIn(sentence, line, new HashSet<string>(StringComparer.OrdinalIgnoreCase));

    /// <summary>
    /// The facts one sentence states. <paramref name="people"/> holds the relatives and friends named earlier in the
    /// conversation, whom "Anna lives in Paris" may be about; the ones this sentence names are added to it.
    /// </summary>
    public static List<Fact> FactsIn(string sentence, ConversationLine line, ISet<string> people)
    {
        ArgumentNullException.ThrowIfNull(people);
        var subject = string.IsNullOrWhiteSpace(line.Speaker) ? Fact.TheUser : line.Speaker.Trim();
        var facts = new List<Fact>();
        foreach (var rule in Rules)
        {
            foreach (Match match in rule.Pattern.Matches(sentence))
            {
                if (rule.Read(match) is { Length: > 0 } value)
                {
                    facts.Add(new Fact(subject, rule.Predicate, value, ClauseOf(sentence, match), [line.Id], line.At));
                }
            }
        }

        foreach (var relative in facts.Where(f => f.Predicate == Predicates.HasRelative))
        {
            people.Add(relative.Value[(relative.Value.LastIndexOf(' ') + 1)..]);
        }
        foreach (var rule in PeopleRules)
        {
            foreach (Match match in rule.Pattern.Matches(sentence))
            {
                if (people.Contains(match.Groups["who"].Value) && rule.Read(match) is { Length: > 0 } value)
                {
                    facts.Add(new Fact(match.Groups["who"].Value, rule.Predicate, value, ClauseOf(sentence, match), [line.Id], line.At));
                }
            }
        }
        return facts;
    }

    public static IEnumerable<string> IntentsIn(string sentence)
    {
        foreach (var pattern in new[] { EnIntent(), RuIntent() })
        {
            foreach (Match match in pattern.Matches(sentence))
            {
                if (Clean(match.Groups["o"].Value) is { Length: > 2 })
                {
                    yield return Clean(match.Value);
                }
            }
        }
    }

    // The statement is the clause the fact came from, so "I live in Berlin and I work at Contoso" gives two statements
    // (a superseded city must not linger inside the employer's memory).
    private static string ClauseOf(string sentence, Match match)
    {
        var end = match.Index + match.Length;
        var tail = ClauseTail().Match(sentence, end);
        var clause = sentence[match.Index..(tail.Success ? tail.Index + tail.Length : end)];
        return Clean(char.ToUpperInvariant(clause[0]) + clause[1..]);
    }

    private static IEnumerable<string> Sentences(string text) =>
        SentenceBreak().Split(text).Select(s => s.Trim()).Where(s => s.Length > 0);

    // One statement said twice in a session is one fact with both message ids.
    private static List<Fact> Merge(List<Fact> facts) => facts
        .GroupBy(f => (f.Subject, f.Predicate, Key: f.Value.ToLowerInvariant()))
        .Select(g => g.First() with { SourceMessageIds = g.SelectMany(f => f.SourceMessageIds).Distinct(StringComparer.Ordinal).ToList() })
        .ToList();

    private static string? Plain(Match match) => Clean(match.Groups["o"].Value) is { Length: > 0 } value ? value : null;

    private static string? Relative(Match match)
    {
        var relation = match.Groups["rel"].Value.Trim();
        var name = match.Groups["o"].Value.Trim();
        return $"{Relations.GetValueOrDefault(relation, relation.ToLowerInvariant())} {name}";
    }

    private static string? RelationshipOf(string said) => said.Trim().ToLowerInvariant() switch
    {
        "женат" or "замужем" or "married" => "married",
        "холост" or "не замужем" or "не женат" or "single" => "single",
        "разведён" or "разведен" or "разведена" or "divorced" => "divorced",
        "engaged" => "engaged",
        "in a relationship" => "in a relationship",
        _ => null,
    };

    private static string Clean(string value)
    {
        var text = Spaces().Replace(value, " ").Trim().TrimEnd('.', '!', '?', ',', ';', ':', ')', '"', '\'');
        return text.Length > MaxObjectLength ? text[..MaxObjectLength].TrimEnd() : text;
    }

    // A clause ends at punctuation or a conjunction, so "I live in Berlin and work at SAP" gives two facts.
    private const string End = @"(?=\s+(?:and|but|because|since|so|which|who|where|now|with|though|although|и|но|а|потому|так\s+как|поэтому|который|которая|где|сейчас|хотя|anymore|any\s+more|these\s+days|больше)\b|\s*[,;:()!?]|\.(?:\s|$)|\s*$)";
    private const string Obj = @"(?<o>[^,;:()]{2,80}?)" + End;
    private const string Adverbs = @"(?:(?:now|currently|still|just|really|actually|also)\s+)*";
    private const string RuAdverbs = @"(?:(?:сейчас|теперь|уже|недавно|только\s+что|тоже|также|очень|всё\s+ещё|все\s+еще)\s+)*";
    private const string Opts = "(?i)";
    private const string EnRelations = @"best\s+friend|sister|brother|mother|mom|mum|father|dad|wife|husband|son|daughter|friend|boss|partner|girlfriend|boyfriend|colleague|grandmother|grandma|grandfather|grandpa";
    private const string RuRelations = "сестра|брат|мама|мать|папа|отец|жена|муж|сын|дочь|дочка|друг|подруга|начальник|начальница|бабушка|дедушка|коллега|парень|девушка";
    private const string Professions = @"(?:(?:software|senior|junior|school|freelance)\s+)?(?:engineer|developer|teacher|doctor|nurse|designer|manager|student|lawyer|accountant|programmer|writer|chef|driver|scientist|analyst|architect|consultant)";
    private const string RuProfessions = "врач|медсестра|медбрат|учитель|учительница|преподаватель|преподавательница|юрист|адвокат|программист|разработчик|инженер|дизайнер|бухгалтер|менеджер|архитектор|повар|водитель|писатель|писательница|журналист|журналистка|аналитик|консультант|психолог|экономист|переводчик|переводчица|стоматолог|хирург|ветеринар|фармацевт|тестировщик|студент|студентка|аспирант|аспирантка|фотограф|маркетолог|парикмахер|пилот|музыкант|художник|художница|тренер";

    // What one studies: a closed list, because "I study" is followed by anything ("every evening", "hard", "the report").
    private const string Fields = @"(?:(?:international|criminal|corporate|applied|pure|modern|ancient|art|graphic|mechanical|civil|electrical|software|clinical)\s+)?(?:law|medicine|economics|physics|chemistry|biology|math|maths|mathematics|computer\s+science|data\s+science|engineering|history|philosophy|psychology|sociology|political\s+science|linguistics|literature|journalism|marketing|finance|accounting|business(?:\s+administration)?|architecture|design|nursing|music|art|dentistry|pharmacy|statistics|English|German|French|Spanish|Italian|Portuguese|Chinese|Japanese|Korean|Arabic|Russian)";
    // A subject ends its clause or is followed by where or when ("law at Harvard"), so "design patterns" is not "design".
    private const string FieldEnd = "(?:" + End + @"|(?=\s+(?:at|in|on|for|online|this|next|every)\b))";
    private const string RuFields = @"(?:\p{L}+(?:ое|ую|ий|ые)\s+)?(?:право|медицину|экономику|физику|химию|биологию|математику|информатику|историю|философию|психологию|социологию|лингвистику|литературу|журналистику|маркетинг|финансы|архитектуру|дизайн|программирование|юриспруденцию|(?:английский|немецкий|французский|испанский|итальянский|португальский|китайский|японский|корейский|арабский|русский)(?:\s+язык)?)";
    private const string Severity = "severe|serious|mild|bad|slight|terrible|strong|really|very|pretty|quite|awful|horrible|minor|major|huge|massive|little|small";
    // A kind or degree of allergy, not what one is allergic to ("a really bad allergy", "a food allergy").
    private const string NotAllergen = @"(?!(?:" + Severity + @"|weird|strange|new|real|food|seasonal|skin|nothing|anything|it|that|this|them)\b)";

    // Who a third-person statement is about: "My sister Anna", "my mom, Maria,", "Anna (my sister)" or a bare name. The
    // name is case-sensitive (a capital letter), the rest is not.
    private const string EnWho = @"(?:(?<!\p{L})(?i:my\s+(?:" + EnRelations + @"))\s*,?\s+)?(?<!\p{L})(?<who>\p{Lu}\p{L}+)(?:\s*\((?i:my\s+(?:" + EnRelations + @"))\))?,?\s+(?i:" + Adverbs + ")";
    private const string RuWho = @"(?:(?<!\p{L})(?i:мо[яйи]\s+(?:" + RuRelations + @")),?\s+)?(?<!\p{L})(?<who>\p{Lu}\p{L}+)(?:\s*\((?i:мо[яйи]\s+(?:" + RuRelations + @"))\))?,?\s+(?i:" + RuAdverbs + ")";
    private const string EnHas = @"(?:has\s+)?" + Adverbs;
    private const string EnNotPronoun = @"(?!(?:me|you|him|her|it|us|them)\b)";
    private const string RuNotPronoun = @"(?!(?:меня|тебя|его|её|ее|нас|вас|их)(?!\p{L}))";

    [GeneratedRegex(@"(?<=[.!?\n])\s+|\n+")]
    private static partial Regex SentenceBreak();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"\G[^,;.!?]*?(?=\s+(?:and|but|и|но|а)\s|[,;.!?]|$)", RegexOptions.IgnoreCase)]
    private static partial Regex ClauseTail();

    [GeneratedRegex(Opts + @"\bI\s+" + Adverbs + @"(?:live|am\s+living|'m\s+living)\s+in\s+" + Obj + "|" + Opts + @"\bI(?:'ve|\s+have)?\s+" + Adverbs + @"moved\s+to\s+" + Obj)]
    private static partial Regex EnLivesIn();

    [GeneratedRegex(Opts + @"(?<!\p{L})я\s+" + RuAdverbs + @"(?:живу\s+в|переехал[аи]?\s+в)\s+" + Obj)]
    private static partial Regex RuLivesIn();

    [GeneratedRegex(Opts + @"\bI\s+" + Adverbs + @"work\s+(?:at|for)\s+" + Obj + "|" + Opts + @"\bI(?:'ve|\s+have)?\s+" + Adverbs + @"(?:got|started|found|accepted)\s+(?:a\s+|my\s+|the\s+)?(?:new\s+)?job\s+(?:at|with)\s+" + Obj + "|" + Opts + @"\bI(?:'ve|\s+have)?\s+" + Adverbs + @"joined\s+" + Obj)]
    private static partial Regex EnWorksAt();

    [GeneratedRegex(Opts + @"(?<!\p{L})я\s+" + RuAdverbs + @"(?:работаю\s+(?:в|на)|устроил(?:ся|ась)\s+(?:на\s+работу\s+)?в|перешл?[её]л\s+в|перешла\s+в)\s+" + Obj)]
    private static partial Regex RuWorksAt();

    [GeneratedRegex(Opts + @"\bI\s+" + Adverbs + @"work\s+as\s+(?:an?\s+)?" + Obj + "|" + Opts + @"\bI(?:'m|\s+am)\s+" + Adverbs + @"an?\s+(?<o>" + Professions + @")\b")]
    private static partial Regex EnWorksAs();

    [GeneratedRegex(Opts + @"(?<!\p{L})я\s+" + RuAdverbs + @"работаю\s+(?!в\s|на\s)(?<o>\p{L}+(?:ом|ем|ой|ей))(?!\p{L})|" + Opts + @"(?<!\p{L})я\s+" + RuAdverbs + @"(?<o>" + RuProfessions + @")(?!\p{L})")]
    private static partial Regex RuWorksAs();

    [GeneratedRegex(Opts + @"\bI\s+" + Adverbs + @"study\s+at\s+" + Obj)]
    private static partial Regex EnStudiesAt();

    [GeneratedRegex(Opts + @"(?<!\p{L})я\s+" + RuAdverbs + @"учусь\s+в\s+" + Obj)]
    private static partial Regex RuStudiesAt();

    [GeneratedRegex(Opts + @"\bI(?:'m|\s+am)\s+" + Adverbs + @"studying\s+(?<o>" + Fields + ")" + FieldEnd + "|" + Opts + @"\bI\s+" + Adverbs + @"study\s+(?<o>" + Fields + ")" + FieldEnd + "|"
        + Opts + @"\bI(?:'m|\s+am)\s+" + Adverbs + @"an?\s+(?<o>" + Fields + @")\s+student\b|" + Opts + @"\bI(?:'m|\s+am)?\s+" + Adverbs + @"major(?:ing)?\s+in\s+" + Obj)]
    private static partial Regex EnStudies();

    // "Учусь на юриста": the profession studied for, in the accusative (-а, -я, -у, -ю); "на курсах", "на третьем курсе" and
    // "на отлично" end otherwise, and "на права" (a driving licence), "на дому", "на ходу" are not studies.
    [GeneratedRegex(Opts + @"(?<!\p{L})я\s+" + RuAdverbs + @"учусь\s+на\s+(?!(?:права|дому|ходу)(?!\p{L}))(?<o>\p{L}+[аяую])(?!\p{L})|" + Opts + @"(?<!\p{L})я\s+" + RuAdverbs + @"(?:изучаю|учу)\s+(?<o>" + RuFields + @")(?!\p{L})")]
    private static partial Regex RuStudies();

    [GeneratedRegex(Opts + @"\bI(?:'m|\s+am)\s+" + Adverbs + @"(?:(?:very|severely|seriously|highly|mildly|slightly|extremely|deathly|quite|so|a\s+bit|a\s+little)\s+)*allergic\s+to\s+" + NotAllergen + Obj + "|"
        + Opts + @"\bI(?:\s+have|'ve)(?:\s+got)?\s+" + Adverbs + @"an?\s+(?:(?:" + Severity + @")\s+)*allergy\s+to\s+" + NotAllergen + Obj + "|"
        + Opts + @"\bI(?:\s+have|'ve)(?:\s+got)?\s+" + Adverbs + @"an?\s+(?:(?:" + Severity + @")\s+)*(?<o>" + NotAllergen + @"\p{L}+(?:\s+" + NotAllergen + @"\p{L}+)?)\s+allergy\b")]
    private static partial Regex EnAllergicTo();

    [GeneratedRegex(Opts + @"(?<!\p{L})у\s+меня\s+" + RuAdverbs + @"(?:есть\s+)?(?:(?:сильная|лёгкая|легкая|жуткая|страшная|небольшая|серьёзная|серьезная)\s+)?аллергия\s+на\s+" + Obj)]
    private static partial Regex RuAllergicTo();

    // Names must start with a capital letter, so these are case-sensitive outside the inline (?i:…) parts.
    [GeneratedRegex(@"(?i:\bmy\s+name\s+is|\bcall\s+me)\s+(?<o>\p{Lu}\p{L}+)")]
    private static partial Regex EnName();

    [GeneratedRegex(@"(?i:меня\s+зовут)\s+(?<o>\p{Lu}\p{L}+)")]
    private static partial Regex RuName();

    [GeneratedRegex(Opts + @"\bI(?:'m|\s+am)\s+" + Adverbs + @"(?<o>married|single|divorced|engaged|in\s+a\s+relationship)\b|" + Opts + @"\bI\s+" + Adverbs + @"got\s+(?<o>married|divorced|engaged)\b")]
    private static partial Regex EnRelationship();

    [GeneratedRegex(Opts + @"(?<!\p{L})я\s+" + RuAdverbs + @"(?<o>женат|замужем|холост|не\s+замужем|не\s+женат|разведена|разведен|разведён)(?!\p{L})")]
    private static partial Regex RuRelationship();

    [GeneratedRegex(Opts + @"\bI(?:'m|\s+am)\s+" + Adverbs + @"(?:preparing|studying|training|getting\s+ready|practi[cs]ing)\s+for\s+" + Obj)]
    private static partial Regex EnPreparing();

    [GeneratedRegex(Opts + @"(?<!\p{L})я\s+" + RuAdverbs + @"готовлюсь\s+к\s+" + Obj)]
    private static partial Regex RuPreparing();

    [GeneratedRegex(Opts + @"\bI\s+" + Adverbs + @"(?:like|love|enjoy|adore)\s+(?!to\s+you)" + Obj)]
    private static partial Regex EnLikes();

    [GeneratedRegex(Opts + @"(?<!\p{L})(?:я\s+" + RuAdverbs + @"(?:люблю|обожаю)|мне\s+" + RuAdverbs + @"нрав(?:ится|ятся))\s+" + Obj)]
    private static partial Regex RuLikes();

    [GeneratedRegex(Opts + @"\bI\s+" + Adverbs + @"(?:(?:don't|do\s+not|never)\s+(?:like|enjoy|love)|hate|dislike|can't\s+stand|cannot\s+stand)\s+" + Obj)]
    private static partial Regex EnDislikes();

    [GeneratedRegex(Opts + @"(?<!\p{L})(?:я\s+" + RuAdverbs + @"(?:не\s+люблю|ненавижу|терпеть\s+не\s+могу)|мне\s+" + RuAdverbs + @"не\s+нрав(?:ится|ятся))\s+" + Obj)]
    private static partial Regex RuDislikes();

    [GeneratedRegex(Opts + @"\bI(?:'m|\s+am|\s+feel|\s+am\s+feeling|'m\s+feeling)\s+(?:(?:so|very|really|a\s+bit|quite|pretty|super|totally|completely|kind\s+of|extremely)\s+)*(?<o>[\p{L}\s]{3,20}?)" + End)]
    private static partial Regex EnFeels();

    [GeneratedRegex(Opts + @"(?<!\p{L})(?:я|мне)\s+(?:(?:так|очень|немного|сильно|совсем|ужасно|чуть)\s+)*(?<o>устал[аи]?|вымотан[аы]?|измотан[аы]?|в\s+стрессе|нервничаю|волнуюсь|счастлив[аы]?|рад[аы]?|болен|больна|заболел[аи]?|мотивирован[аы]?|грустно|тревожно|скучно|одиноко)(?!\p{L})")]
    private static partial Regex RuFeels();

    [GeneratedRegex(@"(?i:\bmy\s+)(?<rel>(?i:" + EnRelations + @"))(?:'s\s+name\s+is|\s+is\s+called|,)?\s+(?<o>\p{Lu}\p{L}+)|(?<!\p{L})(?<o>\p{Lu}\p{L}+)\s*\((?i:my\s+)(?<rel>(?i:" + EnRelations + @"))\)")]
    private static partial Regex EnRelative();

    [GeneratedRegex(@"(?<!\p{L})(?i:мо[яйи])\s+(?<rel>(?i:" + RuRelations + @")),?\s+(?:(?i:зовут)\s+)?(?<o>\p{Lu}\p{L}+)|(?<!\p{L})(?<o>\p{Lu}\p{L}+)\s*\((?i:мо[яйи])\s+(?<rel>(?i:" + RuRelations + @"))\)")]
    private static partial Regex RuRelative();

    [GeneratedRegex(EnWho + @"(?i:(?:(?:lives|is\s+living)\s+in|" + EnHas + @"moved\s+to)\s+" + Obj + ")")]
    private static partial Regex EnPersonLivesIn();

    [GeneratedRegex(RuWho + @"(?i:(?:живёт|живет|переехал[аи]?)\s+в\s+" + Obj + ")")]
    private static partial Regex RuPersonLivesIn();

    [GeneratedRegex(EnWho + @"(?i:(?:works\s+(?:at|for)|" + EnHas + @"(?:got|started|found|accepted)\s+(?:a\s+|the\s+)?(?:new\s+)?job\s+(?:at|with)|" + EnHas + @"joined)\s+" + Obj + ")")]
    private static partial Regex EnPersonWorksAt();

    [GeneratedRegex(RuWho + @"(?i:(?:работает\s+(?:в|на)|устроил(?:ся|ась)\s+(?:на\s+работу\s+)?в|перешл?[её]л\s+в|перешла\s+в)\s+" + Obj + ")")]
    private static partial Regex RuPersonWorksAt();

    [GeneratedRegex(EnWho + @"(?i:works\s+as\s+(?:an?\s+)?" + Obj + @"|is\s+" + Adverbs + @"an?\s+(?<o>" + Professions + @")\b)")]
    private static partial Regex EnPersonWorksAs();

    [GeneratedRegex(RuWho + @"(?i:работает\s+(?!в\s|на\s)(?<o>\p{L}+(?:ом|ем|ой|ей))(?!\p{L}))")]
    private static partial Regex RuPersonWorksAs();

    [GeneratedRegex(EnWho + @"(?i:(?:studies|is\s+studying)\s+at\s+" + Obj + ")")]
    private static partial Regex EnPersonStudiesAt();

    [GeneratedRegex(RuWho + @"(?i:учится\s+в\s+" + Obj + ")")]
    private static partial Regex RuPersonStudiesAt();

    [GeneratedRegex(EnWho + @"(?i:(?:likes|loves|enjoys|adores)\s+" + EnNotPronoun + Obj + ")")]
    private static partial Regex EnPersonLikes();

    [GeneratedRegex(RuWho + @"(?i:(?:любит|обожает)\s+" + RuNotPronoun + Obj + ")")]
    private static partial Regex RuPersonLikes();

    [GeneratedRegex(EnWho + @"(?i:(?:(?:doesn't|does\s+not)\s+(?:like|enjoy|love)|never\s+(?:likes|enjoys|loves)|hates|dislikes|can't\s+stand|cannot\s+stand)\s+" + EnNotPronoun + Obj + ")")]
    private static partial Regex EnPersonDislikes();

    [GeneratedRegex(RuWho + @"(?i:(?:не\s+любит|ненавидит|терпеть\s+не\s+может)\s+" + RuNotPronoun + Obj + ")")]
    private static partial Regex RuPersonDislikes();

    [GeneratedRegex(Opts + @"\bI\s+(?:want|plan|intend|need|hope)\s+to\s+" + Obj + "|" + Opts + @"\bI(?:'d|\s+would)\s+like\s+to\s+" + Obj + "|" + Opts + @"\bI(?:'m|\s+am)\s+(?:going|planning)\s+to\s+" + Obj + "|" + Opts + @"\bremind\s+me\s+to\s+" + Obj)]
    private static partial Regex EnIntent();

    [GeneratedRegex(Opts + @"(?<!\p{L})(?:я\s+)?(?:хочу|планирую|собираюсь|мечтаю|нужно|надо)\s+" + Obj + "|" + Opts + @"(?<!\p{L})напомни(?:те)?\s+(?:мне\s+)?" + Obj)]
    private static partial Regex RuIntent();
}
