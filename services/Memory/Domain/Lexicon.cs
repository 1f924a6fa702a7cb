using System.Text.RegularExpressions;
using Aimi.Contracts.Memory;

namespace Aimi.Memory.Api.Domain;

/// <summary>English and Russian word lists for mood, states and topics. Word stems match the start of a word.</summary>
public static partial class Lexicon
{
    // State words map to one English key, so "устал" and "tired" are the same State node.
    private static readonly (string Stem, string State)[] StateStems =
    [
        ("tired", "tired"), ("exhausted", "tired"), ("sleepy", "tired"), ("worn out", "tired"), ("устал", "tired"), ("вымотан", "tired"), ("измотан", "tired"),
        ("stressed", "stressed"), ("overwhelmed", "stressed"), ("в стрессе", "stressed"), ("напряж", "stressed"),
        ("anxious", "anxious"), ("nervous", "anxious"), ("worried", "anxious"), ("нервнича", "anxious"), ("волну", "anxious"), ("тревожн", "anxious"),
        ("happy", "happy"), ("glad", "happy"), ("excited", "happy"), ("счастлив", "happy"), ("рад", "happy"),
        ("sad", "sad"), ("down", "sad"), ("depressed", "sad"), ("lonely", "lonely"), ("грустн", "sad"), ("одинок", "lonely"),
        ("sick", "sick"), ("ill", "sick"), ("болен", "sick"), ("больна", "sick"), ("заболел", "sick"),
        ("motivated", "motivated"), ("мотивирован", "motivated"),
        ("bored", "bored"), ("скучно", "bored"),
    ];

    private static readonly (string Stem, string Mood)[] MoodStems =
    [
        ("happy", Moods.Positive), ("glad", Moods.Positive), ("great", Moods.Positive), ("excited", Moods.Positive), ("love", Moods.Positive),
        ("awesome", Moods.Positive), ("proud", Moods.Positive), ("thank", Moods.Positive), ("good", Moods.Positive), ("motivated", Moods.Positive),
        ("рад", Moods.Positive), ("счастлив", Moods.Positive), ("отлично", Moods.Positive), ("супер", Moods.Positive), ("здорово", Moods.Positive),
        ("спасибо", Moods.Positive), ("хорошо", Moods.Positive), ("горжусь", Moods.Positive),
        ("sad", Moods.Negative), ("upset", Moods.Negative), ("angry", Moods.Negative), ("bad", Moods.Negative), ("terrible", Moods.Negative),
        ("awful", Moods.Negative), ("hate", Moods.Negative), ("lonely", Moods.Negative), ("depressed", Moods.Negative), ("sick", Moods.Negative),
        ("грустн", Moods.Negative), ("плохо", Moods.Negative), ("ужасн", Moods.Negative), ("злюсь", Moods.Negative), ("ненавиж", Moods.Negative),
        ("одинок", Moods.Negative), ("обидн", Moods.Negative),
        ("stress", Moods.Stressed), ("anxious", Moods.Stressed), ("nervous", Moods.Stressed), ("worried", Moods.Stressed), ("overwhelm", Moods.Stressed),
        ("deadline", Moods.Stressed), ("panic", Moods.Stressed), ("стресс", Moods.Stressed), ("нервнича", Moods.Stressed), ("тревож", Moods.Stressed),
        ("волнуюсь", Moods.Stressed), ("паник", Moods.Stressed), ("дедлайн", Moods.Stressed),
        ("tired", Moods.Tired), ("exhausted", Moods.Tired), ("sleepy", Moods.Tired), ("устал", Moods.Tired), ("вымотан", Moods.Tired),
        ("измотан", Moods.Tired), ("не выспал", Moods.Tired),
    ];

    private static readonly (string Stem, string Topic)[] TopicStems =
    [
        ("work", Topics.Work), ("job", Topics.Work), ("office", Topics.Work), ("boss", Topics.Work), ("meeting", Topics.Work), ("interview", Topics.Work),
        ("project", Topics.Work), ("colleague", Topics.Work), ("работ", Topics.Work), ("офис", Topics.Work), ("начальник", Topics.Work),
        ("совещани", Topics.Work), ("собеседовани", Topics.Work), ("проект", Topics.Work), ("коллег", Topics.Work),
        ("doctor", Topics.Health), ("sleep", Topics.Health), ("sick", Topics.Health), ("health", Topics.Health), ("diet", Topics.Health),
        ("врач", Topics.Health), ("сон", Topics.Health), ("спать", Topics.Health), ("здоров", Topics.Health), ("болел", Topics.Health), ("диет", Topics.Health),
        ("mom", Topics.Family), ("mother", Topics.Family), ("dad", Topics.Family), ("father", Topics.Family), ("sister", Topics.Family),
        ("brother", Topics.Family), ("wife", Topics.Family), ("husband", Topics.Family), ("son", Topics.Family), ("daughter", Topics.Family),
        ("мам", Topics.Family), ("пап", Topics.Family), ("сестр", Topics.Family), ("брат", Topics.Family), ("жен", Topics.Family),
        ("муж", Topics.Family), ("сын", Topics.Family), ("доч", Topics.Family), ("семь", Topics.Family),
        ("exam", Topics.Study), ("study", Topics.Study), ("course", Topics.Study), ("university", Topics.Study), ("lesson", Topics.Study),
        ("экзамен", Topics.Study), ("учеб", Topics.Study), ("учусь", Topics.Study), ("курс", Topics.Study), ("университет", Topics.Study), ("урок", Topics.Study),
        ("money", Topics.Finance), ("bill", Topics.Finance), ("salary", Topics.Finance), ("budget", Topics.Finance), ("rent", Topics.Finance),
        ("деньг", Topics.Finance), ("счет", Topics.Finance), ("зарплат", Topics.Finance), ("бюджет", Topics.Finance), ("аренд", Topics.Finance),
        ("run", Topics.Sport), ("gym", Topics.Sport), ("workout", Topics.Sport), ("yoga", Topics.Sport), ("swim", Topics.Sport), ("marathon", Topics.Sport),
        ("бег", Topics.Sport), ("пробеж", Topics.Sport), ("зал", Topics.Sport), ("трениров", Topics.Sport), ("йог", Topics.Sport), ("плаван", Topics.Sport),
        ("марафон", Topics.Sport),
        ("clean", Topics.Home), ("apartment", Topics.Home), ("flat", Topics.Home), ("kitchen", Topics.Home), ("уборк", Topics.Home), ("квартир", Topics.Home),
        ("friend", Topics.Social), ("party", Topics.Social), ("date", Topics.Social), ("друг", Topics.Social), ("подруг", Topics.Social), ("вечеринк", Topics.Social),
        ("plan", Topics.Plans), ("tomorrow", Topics.Plans), ("remind", Topics.Plans), ("schedule", Topics.Plans), ("план", Topics.Plans),
        ("завтра", Topics.Plans), ("напомн", Topics.Plans), ("расписани", Topics.Plans),
    ];

    /// <summary>The state key a phrase names ("tired", "stressed"), or null.</summary>
    public static string? StateOf(string phrase)
    {
        var text = phrase.ToLowerInvariant();
        foreach (var word in Words(text))
        {
            foreach (var (stem, state) in StateStems)
            {
                if (!stem.Contains(' ') && word.StartsWith(stem, StringComparison.Ordinal) && (stem.Length > 3 || word.Length <= stem.Length + 2))
                {
                    return state;
                }
            }
        }
        foreach (var (stem, state) in StateStems)
        {
            if (stem.Contains(' ') && text.Contains(stem, StringComparison.Ordinal))
            {
                return state;
            }
        }
        return null;
    }

    /// <summary>The dominant mood of some texts, or null when none of their words carries one.</summary>
    public static string? MoodOf(IEnumerable<string> texts)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            var lower = text.ToLowerInvariant();
            var negated = NegatedPositive().IsMatch(lower);
            // The words once per text, not once per stem: this runs for every chat message (issue 17).
            var words = Words(lower).ToList();
            foreach (var (stem, mood) in MoodStems)
            {
                var hits = Count(lower, words, stem);
                if (hits > 0)
                {
                    // "not good" / "не хорошо" turns a positive word negative.
                    var counted = negated && mood == Moods.Positive ? Moods.Negative : mood;
                    counts[counted] = counts.GetValueOrDefault(counted) + hits;
                }
            }
        }
        return counts.Count == 0 ? null : counts.OrderByDescending(p => p.Value).ThenBy(p => Priority(p.Key)).First().Key;
    }

    /// <summary>Topics a text touches, in a stable order.</summary>
    public static IReadOnlyList<string> TopicsOf(IEnumerable<string> texts)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (var word in Words(text.ToLowerInvariant()))
            {
                foreach (var (stem, topic) in TopicStems)
                {
                    // Short stems ("run", "сон") must be nearly the whole word, or "Sunday" is a sport.
                    if (word.StartsWith(stem, StringComparison.Ordinal) && (stem.Length >= 5 || word.Length <= stem.Length + 3))
                    {
                        found.Add(topic);
                    }
                }
            }
        }
        return found.ToList();
    }

    /// <summary>Lower-case words of a text (letters and digits, Latin and Cyrillic).</summary>
    public static IEnumerable<string> Words(string text) => WordPattern().Matches(text).Select(m => m.Value.ToLowerInvariant());

    private static int Count(string text, List<string> words, string stem)
    {
        if (stem.Contains(' '))
        {
            return text.Contains(stem, StringComparison.Ordinal) ? 1 : 0;
        }
        return words.Count(w => w.StartsWith(stem, StringComparison.Ordinal) && (stem.Length > 3 || w.Length <= stem.Length + 2));
    }

    // Ties go to the mood that matters most to the assistant.
    private static int Priority(string mood) => mood switch
    {
        Moods.Stressed => 0,
        Moods.Tired => 1,
        Moods.Negative => 2,
        _ => 3,
    };

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:'[\p{L}]+)?")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\b(not|n't|never)\s+(so\s+|very\s+|really\s+)?(good|great|happy|glad)|(^|\s)не\s+(очень\s+)?(хорошо|рад|счастлив|отлично)")]
    private static partial Regex NegatedPositive();
}
