using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Aimi.Chat.Api.Assistant.Local;

/// <summary>
/// Restates what the user said about themselves from the assistant's side: "I work as a nurse" → "you work as a nurse",
/// «Я работаю медсестрой» → «вы работаете медсестрой». Rule-based and deterministic: pronouns are swapped by table, English
/// am/was follow their "I", "you" becomes "I" or "me" by its place in the clause, and a Russian verb whose subject is «я»
/// takes the polite «вы» form by its ending or an exception table. Russian «ты»-forms are left as they are.
/// </summary>
public static partial class Perspective
{
    private const StringComparison Ordinal = StringComparison.Ordinal;

    private static readonly SearchValues<char> HardBreaks = SearchValues.Create(".!?;:()[]{}\"«»“”„…");
    private static readonly SearchValues<char> Pauses = SearchValues.Create(",—–-");
    private static readonly SearchValues<char> SentenceEnds = SearchValues.Create(".!?…");

    /// <summary>
    /// The sentence as said back to the user, its trailing . ! … removed and its first letter lower-cased unless it is "I" or
    /// looks like a name; null when a Russian verb whose subject is «я» fits no rule (the caller then quotes the user instead).
    /// </summary>
    public static string? ToSecondPerson(string sentence, ReplyLanguage language)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var text = TrailingPunctuationPattern().Replace(sentence.Trim(), "");
        var tokens = new Tokens(text);
        if (tokens.Count == 0)
        {
            return text;
        }

        if (language == ReplyLanguage.Russian)
        {
            if (!Russian.Rewrite(tokens))
            {
                return null;
            }
        }
        else
        {
            English.Rewrite(tokens);
        }

        return tokens.Join(LowersFirst(tokens, language));
    }

    /// <summary>The text with its first letter upper-cased (culture-invariant); empty text stays empty.</summary>
    public static string Capitalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? text : char.ToUpper(text[0], CultureInfo.InvariantCulture) + text[1..];
    }

    /// <summary>A replacement written in the original word's case: "My" → "Your", "МНЕ" → "ВАМ".</summary>
    private static string MatchCase(string original, string replacement)
    {
        if (original.Length > 1 && original.All(c => !char.IsLetter(c) || char.IsUpper(c)))
        {
            return replacement.ToUpperInvariant();
        }

        return char.IsUpper(original[0]) ? Capitalize(replacement) : replacement;
    }

    /// <summary>
    /// Whether the first word loses its capital: a rewritten word does (it was capitalised only because it opened the
    /// sentence), so does a common function word or a word with a common-word ending; anything else may be a name and stays.
    /// </summary>
    private static bool LowersFirst(Tokens t, ReplyLanguage language)
    {
        var first = t.Output(0);
        if (first.Length == 0 || !char.IsUpper(first[0]))
        {
            return false;
        }

        if (first == "I" || first.StartsWith("I'", Ordinal) || first.StartsWith("I’", Ordinal) || first.Skip(1).Any(char.IsUpper))
        {
            return false;
        }

        if (t.Changed(0))
        {
            return true;
        }

        var word = t.Low(0);
        return language == ReplyLanguage.Russian ? Russian.IsCommonStarter(word) : English.IsCommonStarter(word);
    }

    private static FrozenSet<string> Set(string words) =>
        words.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToFrozenSet(StringComparer.Ordinal);

    private static FrozenDictionary<string, string> Map(string pairs) =>
        pairs.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split(':'))
            .ToFrozenDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>The words of a sentence with the text between them, so a rewrite keeps spacing and punctuation.</summary>
    private sealed class Tokens
    {
        private readonly string[] words;
        private readonly string[] lower;
        private readonly string[] output;
        private readonly bool[] changed;
        private readonly string[] gaps;

        public Tokens(string text)
        {
            var matches = WordPattern().Matches(text);
            Count = matches.Count;
            words = new string[Count];
            lower = new string[Count];
            output = new string[Count];
            changed = new bool[Count];
            gaps = new string[Count + 1];
            var at = 0;
            for (var i = 0; i < Count; i++)
            {
                var match = matches[i];
                gaps[i] = text[at..match.Index];
                words[i] = match.Value;
                lower[i] = match.Value.ToLowerInvariant().Replace('’', '\'');
                output[i] = match.Value;
                at = match.Index + match.Length;
            }

            gaps[Count] = text[at..];
        }

        public int Count { get; }

        public string Word(int i) => words[i];

        public string Low(int i) => lower[i];

        public string Output(int i) => output[i];

        public bool Changed(int i) => changed[i];

        public void Set(int i, string replacement)
        {
            output[i] = replacement;
            changed[i] = true;
        }

        /// <summary>Sentence or clause punctuation between word i-1 and word i.</summary>
        public bool HardBreak(int i) => gaps[i].AsSpan().IndexOfAny(HardBreaks) >= 0;

        /// <summary>A comma or a dash between word i-1 and word i.</summary>
        public bool Pause(int i) => gaps[i].AsSpan().IndexOfAny(Pauses) >= 0;

        public bool CommaBefore(int i) => gaps[i].Contains(',', Ordinal);

        public bool Break(int i) => HardBreak(i) || Pause(i);

        public bool SentenceStart(int i) => i == 0 || gaps[i].AsSpan().IndexOfAny(SentenceEnds) >= 0;

        /// <summary>Capitalised inside a sentence, so a name rather than a verb or a pronoun.</summary>
        public bool IsName(int i) => char.IsUpper(words[i][0]) && !SentenceStart(i) && words[i] != "I";

        public string Join(bool lowerFirst)
        {
            var text = new StringBuilder(gaps[0]);
            for (var i = 0; i < Count; i++)
            {
                var word = output[i];
                text.Append(i == 0 && lowerFirst ? char.ToLower(word[0], CultureInfo.InvariantCulture) + word[1..] : word).Append(gaps[i + 1]);
            }

            return text.ToString();
        }
    }

    /// <summary>English: I/me/my/we/us/our ↔ you/your, with am/was following "I" and are/were following a "you" that becomes "I".</summary>
    private static class English
    {
        private static readonly FrozenDictionary<string, string> Swaps = Map(
            "me:you my:your mine:yours myself:yourself we:you us:you our:your ours:yours ourselves:yourselves " +
            "we're:you're we've:you've we'd:you'd we'll:you'll your:my yours:mine yourself:myself yourselves:ourselves");

        private static readonly FrozenDictionary<string, string> FirstPerson = Map(
            "i:you i'm:you're im:you're i've:you've i'd:you'd i'll:you'll");

        private static readonly FrozenDictionary<string, string> SecondPerson = Map("you're:I'm you've:I've you'd:I'd you'll:I'll");

        private static readonly FrozenSet<string> Adverbs = Set(
            "really also too still just always never not definitely actually truly certainly probably usually sometimes often " +
            "already only honestly currently now finally even so totally absolutely completely genuinely seriously literally");

        private static readonly FrozenSet<string> Verbs = Set(
            "are were have had will would can could should shall may might must do did does don't didn't doesn't won't can't " +
            "couldn't shouldn't wouldn't aren't weren't haven't hadn't know knew think thought said say says told tell like love " +
            "want need see saw look seem mean meant get got go went make made help remember forgot forget promised promise asked " +
            "ask gave give sound suggested recommend recommended understand understood agree agreed keep kept wrote write sent");

        private static readonly FrozenSet<string> Prepositions = Set(
            "to for with about at from of by on in into onto without behind beside besides near around toward towards upon among " +
            "between against through under over like than unlike except beyond across along past via per");

        private static readonly FrozenSet<string> Subordinators = Set(
            "that because if when whenever while although though since until unless whether so where as once before after");

        private static readonly FrozenSet<string> Auxiliaries = Set(
            "are were do did does can could will would should shall may might must have has had aren't weren't don't didn't can't " +
            "couldn't won't wouldn't shouldn't haven't");

        private static readonly FrozenSet<string> QuestionWords = Set("what why how where when who which whom whose");

        // A capitalised "I" after these is a numeral: "World War I", "Part I".
        private static readonly FrozenSet<string> NumeralBefore = Set(
            "War Part Chapter Volume Vol Act Phase Stage Level Season Episode Book Type Class Grade Round");

        private static readonly FrozenSet<string> Starters = Set(
            "a an the this that these those between under over without among near behind it its it's he she they his her their them there here yesterday today tomorrow " +
            "tonight now then when whenever while after before since last next every each some many most all both and but or so " +
            "because if although though at in on for with from to of by about as during until recently lately usually sometimes " +
            "often always never also actually honestly basically finally currently unfortunately luckily hopefully apparently " +
            "obviously personally originally eventually generally normally typically one two three four five six seven eight nine " +
            "ten what who why how where which not no yes well oh ok okay please maybe perhaps just still even only everyone " +
            "everybody nobody someone something nothing everything anyway again once twice back later earlier soon sure thanks " +
            "hey hi let let's remember remind do does did don't can could would should will may might must is are was were have " +
            "has had be being been go get call tell give show add set such other another any none few more less much very too " +
            "quite really thank mom mum dad mother father husband wife son daughter brother sister grandma grandpa kids children " +
            "parents friend boss colleague neighbour neighbor partner boyfriend girlfriend");

        private static readonly FrozenSet<string> IngNames = Set("beijing nanjing chongqing reading sterling stirling irving harding kipling ewing fleming");

        public static bool IsCommonStarter(string word) =>
            Starters.Contains(word) || (word.Length >= 6 && word.EndsWith("ing", Ordinal) && !IngNames.Contains(word));

        public static void Rewrite(Tokens t)
        {
            var subjectYou = new bool[t.Count];
            for (var i = 0; i < t.Count; i++)
            {
                subjectYou[i] = t.Low(i) == "you" && IsSubjectYou(t, i);
            }

            for (var i = 0; i < t.Count; i++)
            {
                var word = t.Low(i);
                var apostrophe = t.Word(i).Contains('’', Ordinal) ? "’" : "'";
                if (FirstPerson.TryGetValue(word, out var you) && IsFirstPerson(t, i))
                {
                    // "I" is capitalised everywhere, so its replacement is capitalised only where a sentence starts.
                    var replaced = you.Replace("'", apostrophe, Ordinal);
                    t.Set(i, t.SentenceStart(i) ? Capitalize(replaced) : replaced);
                }
                else if (SecondPerson.TryGetValue(word, out var me))
                {
                    t.Set(i, me.Replace("'", apostrophe, Ordinal));
                }
                else if (word == "you")
                {
                    t.Set(i, subjectYou[i] ? "I" : MatchCase(t.Word(i), "me"));
                }
                else if (word == "us" && t.Word(i) == "US")
                {
                    // The country.
                }
                else if (Swaps.TryGetValue(word, out var swapped))
                {
                    t.Set(i, MatchCase(t.Word(i), swapped.Replace("'", apostrophe, Ordinal)));
                }
                else if (word is "am" or "was" or "wasn't" && HasSubject(t, i, j => IsI(t, j)))
                {
                    var verb = word switch { "am" => "are", "was" => "were", _ => "weren't" };
                    t.Set(i, MatchCase(t.Word(i), verb.Replace("'", apostrophe, Ordinal)));
                }
                else if (word is "are" or "were" or "aren't" or "weren't" && HasSubject(t, i, j => subjectYou[j]))
                {
                    var inverted = i + 1 < t.Count && !t.Break(i + 1) && subjectYou[i + 1];
                    var verb = word switch { "are" => "am", "were" => "was", "aren't" => inverted ? "aren't" : "am not", _ => "wasn't" };
                    t.Set(i, MatchCase(t.Word(i), verb.Replace("'", apostrophe, Ordinal)));
                }
            }
        }

        private static bool IsI(Tokens t, int i) => t.Low(i) == "i" && IsFirstPerson(t, i);

        private static bool IsFirstPerson(Tokens t, int i) =>
            t.Low(i) switch
            {
                "i" => !(t.Word(i) == "I" && i > 0 && !t.Break(i) && NumeralBefore.Contains(t.Word(i - 1))),
                "im" => t.Word(i) != "IM",
                _ => true,
            };

        private static bool IsAdverb(string word) => Adverbs.Contains(word) || (word.Length > 4 && word.EndsWith("ly", Ordinal));

        /// <summary>The verb at i has the given subject right after it ("am I") or before it, across adverbs ("I really am").</summary>
        private static bool HasSubject(Tokens t, int i, Func<int, bool> isSubject)
        {
            if (i + 1 < t.Count && !t.Break(i + 1) && isSubject(i + 1))
            {
                return true;
            }

            // Commas may fence an adverb off: "I, too, am".
            for (var j = i - 1; j >= 0 && j >= i - 4 && !t.HardBreak(j + 1); j--)
            {
                if (isSubject(j))
                {
                    return true;
                }

                if (!IsAdverb(t.Low(j)))
                {
                    return false;
                }
            }

            return false;
        }

        /// <summary>"You" is a subject ("I") before a verb, at the start of a clause or after an opening auxiliary; otherwise "me".</summary>
        private static bool IsSubjectYou(Tokens t, int i)
        {
            var previous = i > 0 && !t.Break(i) ? t.Low(i - 1) : null;
            var next = i + 1;
            while (next < t.Count && !t.Break(next) && IsAdverb(t.Low(next)))
            {
                next++;
            }

            var verbFollows = next < t.Count && !t.Break(next)
                && (Verbs.Contains(t.Low(next)) || (t.Low(next).Length > 4 && t.Low(next).EndsWith("ed", Ordinal)));

            // "like you do", "than you are": these two also join clauses.
            if (previous is not null && Prepositions.Contains(previous) && !(previous is "like" or "than" && verbFollows))
            {
                return false;
            }

            if (verbFollows)
            {
                return true;
            }

            if (previous is null || Subordinators.Contains(previous))
            {
                return true;
            }

            return Auxiliaries.Contains(previous) && (i < 2 || t.Break(i - 1) || QuestionWords.Contains(t.Low(i - 2)));
        }
    }

    /// <summary>Russian: я/мой/мы/наш → вы/ваш, and a verb whose subject is «я» (or «мы») in the polite plural.</summary>
    private static class Russian
    {
        private enum Stage
        {
            Expect,
            Scan,
            AfterVerb,
            Coordinated,
        }

        private enum PrefixRule
        {
            Any,
            Bare,
            Prefixed,
        }

        private static readonly FrozenDictionary<string, string> Pronouns = Map(
            "я:вы меня:вас мне:вам мной:вами мною:вами мой:ваш моя:ваша мое:ваше мои:ваши моего:вашего моей:вашей моему:вашему " +
            "моим:вашим моими:вашими моих:ваших мою:вашу моем:вашем мы:вы нас:вас нам:вам нами:вами наш:ваш наша:ваша наше:ваше " +
            "наши:ваши нашего:вашего нашей:вашей нашему:вашему нашим:вашим нашими:вашими наших:ваших нашу:вашу нашем:вашем " +
            "по-моему:по-вашему по-нашему:по-вашему");

        // «со мной» → «с вами»: the vowel of the preposition belongs to the pronoun it stood before.
        private static readonly FrozenDictionary<string, string> ShortPrepositions = Map(
            "со:с ко:к обо:о во:в подо:под надо:над передо:перед");

        private static readonly FrozenSet<string> LocativePrepositions = Set("о об обо в во на при");

        private static readonly FrozenSet<string> Prepositions = Set(
            "в во на с со к ко у о об обо от ото до из изо за по под подо над при про для без через между около после перед " +
            "передо вокруг возле среди из-за из-под против ради кроме вместо вдоль мимо внутри сквозь");

        // Words that may stand between «я» and its verb.
        private static readonly FrozenSet<string> Particles = Set(
            "не ни уже тоже также еще сейчас очень давно недавно часто всегда никогда иногда обычно скоро снова опять сам сама " +
            "только просто правда действительно вообще почти совсем так уж же ведь бы вот лично постоянно редко регулярно наконец " +
            "пока все больше меньше теперь сегодня вчера завтра раньше потом сразу сначала ежедневно точно наверное кстати конечно " +
            "честно тогда здесь тут там было вроде именно как-то когда-то его ее их ему ей им него нее них нему ней ним тебя " +
            "тебе тобой вас вам себя себе это то кого кому чего чему ли");

        private static readonly FrozenSet<string> Parentheticals = Set(
            "кстати наверное конечно честно правда например видимо пожалуй возможно впрочем кажется оказывается вообще-то");

        private static readonly FrozenSet<string> Coordinators = Set("и а но или либо зато да причем");

        // A new clause or subject starts here.
        private static readonly FrozenSet<string> Boundaries = Set(
            "что чтобы чтоб где куда откуда когда если потому поэтому хотя ибо он она оно они ты вы мы я кто");

        // Look like verbs by their ending, but are not.
        private static readonly FrozenSet<string> NonVerbs = Set(
            "ему нему кому чему тому всему никому ничему сразу внизу наверху почему потому поэтому свою твою мою вашу нашу эту " +
            "одну всю саму ту неделю волю долю пулю землю каплю саблю цаплю кровлю торговлю меню баню зарю бурю чаю краю раю " +
            "стаю сараю трамваю идею аллею шею змею фею лотерею батарею галерею сосну зерну дела тела стола школа сила " +
            "акула пчела стрела числа масла весла кресла стол пол футбол посол орел осел козел котел угол ангел пепел дятел " +
            "всем подъем объем прием наем заем");

        private static readonly FrozenDictionary<string, string> ShortAdjectives = Map(
            "рад:рады рада:рады готов:готовы готова:готовы согласен:согласны согласна:согласны уверен:уверены уверена:уверены " +
            "занят:заняты занята:заняты свободен:свободны свободна:свободны болен:больны больна:больны должен:должны должна:должны " +
            "счастлив:счастливы счастлива:счастливы доволен:довольны довольна:довольны недоволен:недовольны недовольна:недовольны " +
            "знаком:знакомы знакома:знакомы женат:женаты влюблен:влюблены влюблена:влюблены обязан:обязаны обязана:обязаны " +
            "способен:способны способна:способны жив:живы жива:живы здоров:здоровы здорова:здоровы голоден:голодны голодна:голодны " +
            "виноват:виноваты виновата:виноваты прав:правы права:правы похож:похожи похожа:похожи спокоен:спокойны " +
            "спокойна:спокойны сыт:сыты сыта:сыты беременна:беременны расстроен:расстроены расстроена:расстроены удивлен:удивлены " +
            "удивлена:удивлены благодарен:благодарны благодарна:благодарны намерен:намерены намерена:намерены вынужден:вынуждены " +
            "вынуждена:вынуждены нужен:нужны нужна:нужны интересен:интересны интересна:интересны близок:близки близка:близки " +
            "привязан:привязаны привязана:привязаны");

        private static readonly FrozenSet<string> Prefixes = Set(
            "в во вз взо вы до за из изо ис на над надо недо о об обо от ото пере по под подо пре пред при про раз разо рас с со " +
            "у въ объ подъ съ отъ изъ разъ взъ");

        /// <summary>
        /// Irregular or ambiguous first-person forms (е for ё in the key) and their «вы» forms, matched as a word's ending after
        /// a known prefix. "!" marks a form valid only bare, "+" one valid only after a prefix.
        /// </summary>
        private static readonly FrozenDictionary<string, (string Ending, PrefixRule Rule)> Irregular = new[]
        {
            // Present and future.
            "!иду:идёте", "+йду:йдёте", "!приду:придёте", "еду:едете", "веду:ведёте", "кладу:кладёте", "краду:крадёте",
            "буду:будете", "жду:ждёте", "сяду:сядете", "+паду:падёте", "бреду:бредёте", "хожу:ходите", "вожу:водите",
            "ношу:носите", "прошу:просите", "езжу:ездите", "сижу:сидите", "вижу:видите", "!ненавижу:ненавидите", "лежу:лежите",
            "бегу:бежите", "могу:можете", "хочу:хотите", "учу:учите", "лечу:летите", "лечусь:лечитесь", "плачу:платите",
            "пишу:пишете", "пью:пьёте", "бью:бьёте", "лью:льёте", "шью:шьёте", "вью:вьёте", "пою:поёте", "даю:даёте",
            "+стаю:стаёте", "!узнаю:узнаёте", "!признаю:признаёте", "!сознаю:сознаёте", "!осознаю:осознаёте", "!ем:едите",
            "!съем:съедите", "!поем:поедите", "!наемся:наедитесь", "дам:дадите", "боюсь:боитесь", "стою:стоите",
            "строю:строите", "беспокою:беспокоите", "успокою:успокоите", "+мою:моете", "крою:кроете", "+рою:роете",
            "ищу:ищете", "беру:берёте", "зову:зовёте", "живу:живёте", "плыву:плывёте", "рву:рвёте", "вру:врёте", "!ору:орёте",
            "тру:трёте", "!умру:умрёте", "деру:дерёте", "+пру:прёте", "!возьму:возьмёте", "+йму:ймёте", "+ниму:нимете",
            "!приму:примете", "жму:жмёте", "мну:мнёте", "лягу:ляжете", "берегу:бережёте", "стригу:стрижёте", "жгу:жжёте",
            "лгу:лжёте", "пеку:печёте", "теку:течёте", "+влеку:влечёте", "несу:несёте", "пасу:пасёте", "трясу:трясёте",
            "везу:везёте", "ползу:ползёте", "грызу:грызёте", "лезу:лезете", "расту:растёте", "цвету:цветёте", "плету:плетёте",
            "мету:метёте", "ложусь:ложитесь", "+ложу:ложите", "сажусь:садитесь", "+сажу:садите", "борюсь:боретесь",
            "сержусь:сердитесь", "горжусь:гордитесь", "тружусь:трудитесь", "дружу:дружите", "служу:служите", "брожу:бродите",
            "гляжу:глядите", "слежу:следите", "бужу:будите", "сужу:судите", "держу:держите", "+бижу:бидите", "скажу:скажете",
            "+кажу:кажете", "кажусь:кажетесь", "вяжу:вяжете", "режу:режете", "мажу:мажете", "вешу:весите", "решу:решите",
            "вишу:висите", "пляшу:пляшете", "машу:машете", "дышу:дышите", "слышу:слышите", "гашу:гасите", "крашу:красите",
            "+глашу:гласите", "брошу:бросите", "спешу:спешите", "смешу:смешите", "пашу:пашете", "чешу:чешете", "кошу:косите",
            "шучу:шутите", "молчу:молчите", "кричу:кричите", "стучу:стучите", "трачу:тратите", "+лучу:лучите", "+вечу:ветите",
            "+мечу:метите", "встречу:встретите", "кручу:крутите", "кончу:кончите", "точу:точите", "прячу:прячете",
            "скачу:скачете", "ворчу:ворчите", "мучу:мучите", "верчу:вертите", "+ключу:ключите", "хлопочу:хлопочете",
            "бормочу:бормочете", "топчу:топчете", "чищу:чистите", "пущу:пустите", "прощу:простите", "грущу:грустите",
            "+сещу:сетите", "+вещу:вестите", "ращу:растите", "тащу:тащите", "+щищу:щитите", "+гощу:гостите", "+мещу:местите",
            "свищу:свистите", "плещу:плещете", "шлю:шлёте", "злю:злите", "мелю:мелете", "колю:колете", "полю:полете",
            "стелю:стелете", "сыплю:сыплете", "треплю:треплете", "щиплю:щиплете", "колеблюсь:колеблетесь", "мыслю:мыслите",
            "медлю:медлите", "стану:станете", "гляну:глянете", "тяну:тянете", "+мяну:мянете", "!обману:обманете",
            "+дену:денете", "трону:тронете", "кину:кинете", "двину:двинете", "суну:сунете", "тону:тонете", "смеюсь:смеётесь",
            "+ясню:ясните", "+равню:равните", "воюю:воюете", "горюю:горюете", "клюю:клюёте", "плюю:плюёте",

            // Past tense, masculine, without -л.
            "рос:росли", "нес:несли", "вез:везли", "лег:легли", "мог:могли", "пек:пекли", "мерз:мёрзли", "+вык:выкли",
            "!умер:умерли", "+тер:тёрли", "+пер:перли", "+мок:мокли", "+гиб:гибли", "стриг:стригли", "+берег:берегли",
            "!сжег:сожгли", "!зажег:зажгли", "+стиг:стигли",
        }.ToFrozenDictionary(
            entry => entry.TrimStart('!', '+').Split(':')[0],
            entry => (entry.Split(':')[1], entry[0] switch { '!' => PrefixRule.Bare, '+' => PrefixRule.Prefixed, _ => PrefixRule.Any }),
            StringComparer.Ordinal);

        // -ую is a verb ending (планирую) and an adjective one (новую): these settle it.
        private static readonly FrozenSet<string> UjuVerbs = Set(
            "ревную волную тоскую рискую толкую ликую балую практикую критикую публикую паникую психую торгую дую сую кую жую " +
            "зимую рифмую");

        private static readonly FrozenSet<string> UjuAdjectives = Set(
            "каждую голубую любую грубую слабую молодую седую худую гордую твердую горячую зрячую простую пустую чистую густую толстую " +
            "богатую крутую золотую святую желтую пятую шестую девятую десятую двадцатую тридцатую частую целую босую косую " +
            "лысую");

        private static readonly FrozenSet<string> WeNonVerbs = Set(
            "всем тем чем кем нем ним своим этим самим совсем затем зачем вдвоем втроем одним другим таким каким моим " +
            "твоим вашим нашим прием подъем объем шлем тандем проблем систем режим");

        private static readonly FrozenSet<string> Starters = Set(
            "и а но или да нет не ни ну вот это этот эта эти этого тот та те то он она оно они его ее их ему ей им там тут здесь " +
            "сейчас теперь вчера сегодня завтра позавчера послезавтра раньше потом тогда всегда никогда иногда часто обычно уже " +
            "еще давно недавно скоро летом зимой весной осенью утром днем вечером ночью в во на с со к ко у о об обо от до из за " +
            "по под над при про для без через после перед когда если потому поэтому так как что где куда откуда почему зачем кто " +
            "чем каждый каждое каждую каждая каждые все весь вся один одна одно два две три четыре пять очень много мало только " +
            "тоже также кстати наверное конечно правда может можно нужно надо нельзя хорошо плохо спасибо пожалуйста привет " +
            "сначала сразу почти даже лучше больше меньше ты вы себя себе свой своя свое свои твой твоя твое твои ваш ваша ваше " +
            "ваши вас вам мы мама папа муж жена сын дочь дочка брат сестра бабушка дедушка ребенок дети родители друг подруга " +
            "коллега начальник начальница сосед соседка");

        public static bool IsCommonStarter(string word)
        {
            var n = Norm(word);
            return Starters.Contains(n)
                || (n.Length > 3 && (EndsWithAny(n, "ый", "ая", "ое", "ые", "ие", "яя", "ее", "ть", "ться", "ешь") || (n.Length > 4 && n.EndsWith("но", Ordinal))));
        }

        public static bool Rewrite(Tokens t)
        {
            var withYou = new bool[t.Count];
            for (var i = 0; i < t.Count; i++)
            {
                // «мы с вами» / «мы с тобой» is the same pair seen from either side.
                if (t.Low(i) == "мы" && i + 2 < t.Count && t.Low(i + 1) == "с" && t.Low(i + 2) is "вами" or "тобой" && !t.Break(i + 1) && !t.Break(i + 2))
                {
                    withYou[i] = true;
                    if (t.Low(i + 2) == "тобой")
                    {
                        t.Set(i + 2, MatchCase(t.Word(i + 2), "вами"));
                    }

                    continue;
                }

                if (Pronouns.TryGetValue(Norm(t.Low(i)), out var pronoun))
                {
                    // «обо мне», «при мне»: the prepositional «мне» is «вас», the dative one «вам».
                    var prepositional = t.Low(i) == "мне" && i > 0 && !t.Break(i) && LocativePrepositions.Contains(t.Low(i - 1));
                    t.Set(i, MatchCase(t.Word(i), prepositional ? "вас" : pronoun));
                    if (i > 0 && !t.Break(i) && ShortPrepositions.TryGetValue(t.Low(i - 1), out var preposition)
                        && (t.Low(i - 1) is "ко" or "обо" or "во" ? t.Low(i) == "мне" : t.Low(i) is "мной" or "мною"))
                    {
                        t.Set(i - 1, MatchCase(t.Word(i - 1), preposition));
                    }
                }
            }

            for (var i = 0; i < t.Count; i++)
            {
                if (t.Low(i) == "я")
                {
                    // «мама и я живём»: a compound subject takes the plural (but «и я работаю» does not).
                    var compound = i > 0 && !t.Break(i) && t.Low(i - 1) == "и" && NextIsVerb(t, i, ConjugateWe);
                    if (!Clause(t, i, compound ? ConjugateWe : ConjugateI, strict: !compound))
                    {
                        return false;
                    }
                }
                else if (t.Low(i) == "мы" && !withYou[i])
                {
                    Clause(t, i, ConjugateWe, strict: false);
                }
            }

            return true;
        }

        /// <summary>
        /// Conjugates the verbs of the clause whose subject stands at <paramref name="subject"/>: the first verb after it (past
        /// particles and adverbs, or past a fronted object or place), then each verb joined to it by «и», «а», «но» or a comma.
        /// Strict (for «я»): false when the word in the verb's place looks like a verb but fits no rule.
        /// </summary>
        private static bool Clause(Tokens t, int subject, Func<string, string?> conjugate, bool strict)
        {
            var stage = Stage.Expect;
            var found = false;
            for (var j = subject + 1; j < t.Count && !t.HardBreak(j); j++)
            {
                var word = t.Low(j);
                var n = Norm(word);
                if (stage == Stage.Expect)
                {
                    var copula = j == subject + 1 && !t.CommaBefore(j); // «Я — врач»
                    if (t.Pause(j) && !copula && !Parentheticals.Contains(n) && !Parentheticals.Contains(Norm(t.Low(j - 1))))
                    {
                        break;
                    }

                    if (Particles.Contains(n) || Parentheticals.Contains(n) || IsAdverbLike(n))
                    {
                        if (strict && n is "сам" or "сама")
                        {
                            t.Set(j, MatchCase(t.Word(j), "сами"));
                        }

                        continue;
                    }

                    if (strict && n == "и")
                    {
                        // «я и мама живём» takes the plural; «я и так устала» goes on.
                        if (VerbLater(t, j, ConjugateWe))
                        {
                            Clause(t, j, ConjugateWe, strict: false);
                            return true;
                        }

                        continue;
                    }

                    if (strict && n == "мою" && !VerbLater(t, j, conjugate))
                    {
                        // «я мою посуду»: the verb, not the pronoun, when no other verb follows.
                        t.Set(j, MatchCase(t.Word(j), "моете"));
                        stage = Stage.AfterVerb;
                        found = true;
                        continue;
                    }

                    if (!t.IsName(j) && conjugate(word) is { } verb)
                    {
                        t.Set(j, MatchCase(t.Word(j), verb));
                        stage = Stage.AfterVerb;
                        found = true;
                        continue;
                    }

                    if (Boundaries.Contains(n))
                    {
                        break;
                    }

                    if (strict && !t.IsName(j) && IsVerbLike(n))
                    {
                        // «я маму люблю»: a fronted object; else an unknown verb.
                        if (!NextIsVerb(t, j, conjugate))
                        {
                            return false;
                        }
                    }

                    stage = Stage.Scan;
                    continue;
                }

                if (t.Pause(j))
                {
                    stage = Stage.Coordinated;
                }

                if (Boundaries.Contains(n))
                {
                    break;
                }

                switch (stage)
                {
                    case Stage.Scan:
                        if (Coordinators.Contains(n))
                        {
                            stage = Stage.Coordinated;
                        }
                        else if (!Particles.Contains(n) && !IsAdverbLike(n) && !t.IsName(j) && !AfterPreposition(t, j) && !AfterAdjective(t, j)
                            && !Pronouns.ContainsKey(n) && conjugate(word) is { } delayed)
                        {
                            t.Set(j, MatchCase(t.Word(j), delayed));
                            stage = Stage.AfterVerb;
                            found = true;
                        }

                        break;
                    case Stage.AfterVerb:
                        if (Coordinators.Contains(n))
                        {
                            stage = Stage.Coordinated;
                        }

                        break;
                    case Stage.Coordinated:
                        // «…, а по выходным пишу книгу»: a place or time may come before the joined verb.
                        if (Coordinators.Contains(n) || Particles.Contains(n) || IsAdverbLike(n) || Prepositions.Contains(n) || AfterPreposition(t, j))
                        {
                            break;
                        }

                        if (!t.IsName(j) && conjugate(word) is { } joined)
                        {
                            t.Set(j, MatchCase(t.Word(j), joined));
                            stage = Stage.AfterVerb;
                            found = true;
                            break;
                        }

                        if (strict && IsCertainVerb(n))
                        {
                            return false;
                        }

                        return true;
                }
            }

            // «Живу я в Самаре»: the verb came first.
            if (strict && !found && subject > 0 && !t.Break(subject) && conjugate(t.Low(subject - 1)) is { } inverted)
            {
                t.Set(subject - 1, MatchCase(t.Word(subject - 1), inverted));
            }

            return true;
        }

        private static bool VerbLater(Tokens t, int j, Func<string, string?> conjugate)
        {
            for (var k = j + 1; k < t.Count && !t.Break(k); k++)
            {
                if (!AfterPreposition(t, k) && !t.IsName(k) && conjugate(t.Low(k)) is not null)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool NextIsVerb(Tokens t, int j, Func<string, string?> conjugate)
        {
            var k = j + 1;
            while (k < t.Count && !t.Break(k) && (Particles.Contains(Norm(t.Low(k))) || IsAdverbLike(Norm(t.Low(k)))))
            {
                k++;
            }

            return k < t.Count && !t.Break(k) && !t.IsName(k) && conjugate(t.Low(k)) is not null;
        }

        private static bool AfterPreposition(Tokens t, int j) => j > 0 && !t.Break(j) && Prepositions.Contains(Norm(t.Low(j - 1)));

        private static bool AfterAdjective(Tokens t, int j) =>
            j > 0 && !t.Break(j) && t.Low(j - 1).Length > 3
            && EndsWithAny(Norm(t.Low(j - 1)), "ую", "юю", "ая", "яя", "ое", "ые", "ие", "ый", "ий", "ого", "ых", "ыми", "ими");

        /// <summary>Adverbs and object words in -о (хорошо, много, кино) and hyphenated words (по-русски) never take the verb's place.</summary>
        private static bool IsAdverbLike(string n) => n.Contains('-', Ordinal) || (n.Length >= 4 && n.EndsWith('о'));

        /// <summary>A first-person present or future form by its ending: -ю, -у, -юсь, -усь (not an adjective in -ую).</summary>
        private static bool IsVerbLike(string n)
        {
            if (NonVerbs.Contains(n) || Pronouns.ContainsKey(n) || n.Contains('-', Ordinal))
            {
                return false;
            }

            if (n.EndsWith("ую", Ordinal))
            {
                return IsUjuVerb(n);
            }

            return !n.EndsWith("юю", Ordinal) && (n.EndsWith('ю') || n.EndsWith('у') || n.EndsWith("юсь", Ordinal) || n.EndsWith("усь", Ordinal));
        }

        private static bool IsCertainVerb(string n) => EndsWithAny(n, "юсь", "усь", "лся", "лась", "лось");

        private static string Norm(string word) => word.Replace('ё', 'е');

        private static bool IsVowel(char c) => "аеёиоуыэюя".Contains(c, Ordinal);

        private static bool EndsWithAny(string word, params string[] endings) => endings.Any(e => word.EndsWith(e, Ordinal));

        /// <summary>The word with its last <paramref name="cut"/> letters replaced (ё and е have the same length, so the cut fits both).</summary>
        private static string Swap(string word, int cut, string ending) => word[..^cut] + ending;

        /// <summary>A verb whose subject is «я» in the polite «вы» form, or null when the word is not such a verb or fits no rule.</summary>
        private static string? ConjugateI(string word)
        {
            var n = Norm(word);
            if (n.Length < 2 || NonVerbs.Contains(n) || Pronouns.ContainsKey(n) || n.Contains('-', Ordinal))
            {
                return null;
            }

            if (ShortAdjectives.TryGetValue(n, out var adjective))
            {
                return adjective;
            }

            if ((FromTable(word, n) ?? Past(word, n)) is { } known)
            {
                return known;
            }

            if (n.EndsWith("сь", Ordinal) && n.Length > 4)
            {
                var baseWord = word[..^2];
                var baseNorm = n[..^2];
                return (baseNorm.EndsWith('ю') || baseNorm.EndsWith('у')) && (FromTable(baseWord, baseNorm) ?? Present(baseWord, baseNorm, reflexive: true)) is { } reflexive
                    ? reflexive + "сь"
                    : null;
            }

            return Present(word, n, reflexive: false);
        }

        /// <summary>A verb whose subject is «мы» (or «я и …») in the «вы» form: -ем/-ём/-им → -ете/-ёте/-ите.</summary>
        private static string? ConjugateWe(string word)
        {
            var n = Norm(word);
            if (n.Length < 4 || WeNonVerbs.Contains(n) || NonVerbs.Contains(n) || Pronouns.ContainsKey(n) || n.Contains('-', Ordinal))
            {
                return null;
            }

            return n switch
            {
                _ when n.EndsWith("емся", Ordinal) || n.EndsWith("имся", Ordinal) => Swap(word, 3, "тесь"),
                _ when n.EndsWith("ем", Ordinal) || n.EndsWith("им", Ordinal) => Swap(word, 1, "те"),
                _ => null,
            };
        }

        private static string? FromTable(string word, string n)
        {
            for (var k = n.Length; k >= 2; k--)
            {
                if (!Irregular.TryGetValue(n[^k..], out var entry))
                {
                    continue;
                }

                var prefix = n[..^k];
                var fits = prefix.Length == 0 ? entry.Rule != PrefixRule.Prefixed : entry.Rule != PrefixRule.Bare && Prefixes.Contains(prefix);
                if (fits)
                {
                    // A stressed вы- takes the stress off the ending: выйдете, выпьете.
                    return word[..^k] + (prefix.StartsWith("вы", Ordinal) ? entry.Ending.Replace('ё', 'е') : entry.Ending);
                }
            }

            return null;
        }

        /// <summary>Past tense singular → plural: -л/-ла/-лся/-лась → -ли/-лись (шёл → шли).</summary>
        private static string? Past(string word, string n)
        {
            if (n.EndsWith("шелся", Ordinal))
            {
                return Swap(word, 5, "шлись");
            }

            if (n.EndsWith("лся", Ordinal) && n.Length > 3 && IsVowel(n[^4]))
            {
                return word[^4] == 'ё' ? Swap(word, 4, "елись") : Swap(word, 3, "лись");
            }

            if ((n.EndsWith("лась", Ordinal) || n.EndsWith("лось", Ordinal)) && n.Length > 4)
            {
                return Swap(word, 4, "лись");
            }

            if (n.EndsWith("шел", Ordinal))
            {
                return Swap(word, 3, "шли");
            }

            if (n.EndsWith('л') && IsVowel(n[^2]))
            {
                return word[^2] == 'ё' ? Swap(word, 2, "ели") : word + "и";
            }

            if (n.EndsWith("ла", Ordinal) && n.Length >= 3 && n[^3] != 'л')
            {
                return Swap(word, 1, "и");
            }

            if (n.EndsWith("ся", Ordinal) && n.Length > 4 && FromTable(word[..^2], n[..^2]) is { } consonantPast && consonantPast.EndsWith("ли", Ordinal))
            {
                return consonantPast + "сь";
            }

            return null;
        }

        /// <summary>Regular present/future first person → second plural by ending.</summary>
        private static string? Present(string word, string n, bool reflexive)
        {
            if (n.Length < 3)
            {
                return null;
            }

            if (EndsWithAny(n, "аю", "яю", "ею"))
            {
                return Swap(word, 1, "ете");
            }

            if (n.EndsWith("ую", Ordinal))
            {
                return reflexive || IsUjuVerb(n) ? Swap(word, 1, "ете") : null;
            }

            var before = n[^3];
            if (n.EndsWith("рю", Ordinal) || (n.EndsWith("ню", Ordinal) && (IsVowel(before) || before == 'м')))
            {
                return Swap(word, 1, "ите");
            }

            if (n.EndsWith("лю", Ordinal))
            {
                // люблю → любите, сплю → спите: the л after a labial goes; хвалю → хвалите keeps it.
                return "бпвмф".Contains(before, Ordinal) ? Swap(word, 2, "ите") : IsVowel(before) ? Swap(word, 1, "ите") : null;
            }

            if (n.EndsWith("ну", Ordinal))
            {
                return before switch
                {
                    // усну, засну, проснусь — not весну or десну.
                    'с' => Prefixes.Contains(n[..^3]) ? Swap(word, 1, "ёте") : null,
                    'ч' or 'р' or 'х' or 'ь' => Swap(word, 1, "ёте"),
                    'к' or 'г' or 'п' or 'т' or 'з' or 'б' or 'ш' => Swap(word, 1, "ете"),
                    _ => null,
                };
            }

            return null;
        }

        private static bool IsUjuVerb(string n)
        {
            if (UjuVerbs.Contains(n))
            {
                return true;
            }

            if (UjuAdjectives.Contains(n) || n.EndsWith("ячую", Ordinal))
            {
                return false;
            }

            return EndsWithAny(n, "ирую", "ствую", "сую", "цую", "зую", "бую", "дую", "чую", "тую");
        }
    }

    [GeneratedRegex(@"[\p{L}\p{M}]+(?:[-'’][\p{L}\p{M}]+)*", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"[\s.!…]+$", RegexOptions.CultureInvariant)]
    private static partial Regex TrailingPunctuationPattern();
}
