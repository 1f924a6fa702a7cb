namespace Aimi.Memory.Api.Domain;

/// <summary>A word the search's text half looks for, what it counts, and whether the question said it or it was added.</summary>
/// <param name="Added">Another form of the question's verb or a word under a category it names: one common among the user's
/// memories is left out (<c>MemorySearch</c>), a word the question said never is.</param>
public readonly record struct QueryTerm(string Word, double Weight, bool Added);

/// <summary>The terms of a question: its own words, then the other forms of its irregular verbs, then the words under its categories.</summary>
public static class QueryTerms
{
    /// <param name="words">The question's words, lower-cased, each once.</param>
    public static IReadOnlyList<QueryTerm> Of(IReadOnlyList<string> words)
    {
        var forms = WordForms.Expand(words);
        // A form the question's verb brings ("buy": bought) counts as that, even if a category lists it too.
        var related = Categories.Expand(words).Except(forms, StringComparer.Ordinal);
        return
        [
            .. words.Select(word => new QueryTerm(word, 1, Added: false)),
            .. forms.Select(form => new QueryTerm(form, WordForms.FormWeight, Added: true)),
            .. related.Select(member => new QueryTerm(member, Categories.MemberWeight, Added: true)),
        ];
    }
}
