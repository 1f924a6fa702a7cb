namespace Aimi.Memory.Tests.Evaluation;

/// <summary>
/// The plain baseline: Okapi BM25 (k1 1.2, b 0.75) over each message's "speaker: text", lower-cased runs of letters and digits,
/// a few English and Russian stop words dropped, no stemming.
/// </summary>
public sealed class Bm25
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    private static readonly HashSet<string> StopWords = new(
    [
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as", "is", "are", "was", "were", "be",
        "been", "am", "it", "its", "this", "that", "these", "those", "do", "does", "did", "has", "have", "had", "so", "if", "than", "then", "s",
        "t", "what", "which", "who", "whom", "when", "where", "why", "how",
        "и", "в", "во", "не", "на", "с", "со", "что", "как", "а", "но", "по", "к", "ко", "у", "о", "об", "из", "за", "от", "до", "же", "ли",
        "бы", "то", "это", "для", "да", "нет", "ну", "вот", "так", "кто", "где", "когда", "какой", "какая", "какие", "чем", "еще",
    ], StringComparer.Ordinal);

    private readonly List<string> _ids = [];
    private readonly List<Dictionary<string, int>> _termCounts = [];
    private readonly List<int> _lengths = [];
    private readonly Dictionary<string, int> _documentFrequency = new(StringComparer.Ordinal);
    private readonly double _averageLength;

    public Bm25(IEnumerable<(string Id, string Text)> documents)
    {
        foreach (var (id, text) in documents)
        {
            var tokens = Tokenize(text);
            var counts = tokens.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            foreach (var term in counts.Keys)
            {
                _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
            }
            _ids.Add(id);
            _termCounts.Add(counts);
            _lengths.Add(tokens.Count);
        }
        _averageLength = _lengths.Count == 0 ? 0 : Math.Max(1, _lengths.Average());
    }

    public static Bm25 Over(EvaluationConversation conversation) => new(conversation.Messages.Select(m => (m.Id, $"{m.Speaker}: {m.Text}")));

    /// <summary>The ids of the best <paramref name="n"/> documents that share a term with the query, best first; ties keep document order.</summary>
    public IReadOnlyList<string> Top(string query, int n)
    {
        var terms = Tokenize(query).Distinct(StringComparer.Ordinal).Where(_documentFrequency.ContainsKey).ToList();
        var scores = new List<(int Index, double Score)>();
        for (var d = 0; d < _ids.Count; d++)
        {
            var score = 0.0;
            foreach (var term in terms)
            {
                if (_termCounts[d].TryGetValue(term, out var tf))
                {
                    score += Idf(term) * tf * (K1 + 1) / (tf + K1 * (1 - B + B * _lengths[d] / _averageLength));
                }
            }
            if (score > 0)
            {
                scores.Add((d, score));
            }
        }
        return scores.OrderByDescending(s => s.Score).ThenBy(s => s.Index).Take(n).Select(s => _ids[s.Index]).ToList();
    }

    // Lucene's form: never negative, so a term in most messages still counts a little rather than against.
    private double Idf(string term)
    {
        var df = _documentFrequency[term];
        return Math.Log(1 + (_ids.Count - df + 0.5) / (df + 0.5));
    }

    public static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                // ё is written as е as often as not.
                current.Append(c is 'ё' or 'Ё' ? 'е' : char.ToLowerInvariant(c));
            }
            else
            {
                Flush();
            }
        }
        Flush();
        return tokens;

        void Flush()
        {
            if (current.Length > 0)
            {
                var token = current.ToString();
                if (!StopWords.Contains(token))
                {
                    tokens.Add(token);
                }
                current.Clear();
            }
        }
    }
}
