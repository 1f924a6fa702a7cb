namespace Aimi.Memory.Api.Domain;

/// <summary>
/// The forms of English irregular verbs, which the stemmer does not bring together: a question asks "What did Maya buy?", the
/// message says "I bought a blazer"; "Who taught…" is answered by "my teacher… I learn with her". A question's word in one form
/// looks for the others too. The most general verbs (be, have, do, get, go, make, say) are left out: they match almost everything.
/// </summary>
public static class WordForms
{
    /// <summary>What another form of a question's verb counts beside the word itself: the same verb, not quite the same word.</summary>
    public const double FormWeight = 0.9;

    private static readonly string[][] Verbs =
    [
        ["buy", "bought"], ["bring", "brought"], ["build", "built"], ["catch", "caught"], ["choose", "chose", "chosen"],
        ["drink", "drank", "drunk"], ["drive", "drove", "driven"], ["eat", "ate", "eaten"], ["fall", "fell", "fallen"], ["feel", "felt"],
        ["fight", "fought"], ["find", "found"], ["fly", "flew", "flown"], ["forget", "forgot", "forgotten"], ["give", "gave", "given"],
        ["grow", "grew", "grown"], ["hear", "heard"], ["hold", "held"], ["hurt", "hurts"], ["keep", "kept"], ["leave", "left"],
        ["lend", "lent"], ["lose", "lost"], ["meet", "met"], ["pay", "paid"], ["ride", "rode", "ridden"], ["ring", "rang", "rung"],
        ["run", "ran"], ["sell", "sold"], ["send", "sent"], ["sing", "sang", "sung"], ["sit", "sat"], ["sleep", "slept"],
        ["speak", "spoke", "spoken"], ["spend", "spent"], ["steal", "stole", "stolen"], ["swim", "swam", "swum"], ["teach", "taught"],
        ["tell", "told"], ["think", "thought"], ["throw", "threw", "thrown"], ["wake", "woke", "woken"], ["wear", "wore", "worn"],
        ["win", "won"], ["write", "wrote", "written"], ["break", "broke", "broken"], ["begin", "began", "begun"], ["bite", "bit", "bitten"],
        ["draw", "drew", "drawn"], ["hide", "hid", "hidden"], ["shake", "shook", "shaken"], ["take", "took", "taken"], ["see", "saw", "seen"],
        ["know", "knew", "known"], ["come", "came"], ["feed", "fed"], ["lead", "led"], ["light", "lit"], ["stand", "stood"],
        ["understand", "understood"], ["hang", "hung"], ["dig", "dug"], ["stick", "stuck"], ["sink", "sank", "sunk"],
    ];

    private static readonly Dictionary<string, string[]> FormsOf = Verbs
        .SelectMany(forms => forms.Select(form => (form, forms)))
        .GroupBy(p => p.form, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.SelectMany(p => p.forms).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);

    /// <summary>The other forms of the irregular verbs among <paramref name="words"/> (a question's, lower-cased), without the question's own.</summary>
    public static IReadOnlyList<string> Expand(IReadOnlyList<string> words) =>
        words.SelectMany(word => FormsOf.GetValueOrDefault(word) ?? []).Except(words, StringComparer.Ordinal).Distinct(StringComparer.Ordinal).ToList();
}
