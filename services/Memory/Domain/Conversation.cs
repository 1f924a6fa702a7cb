namespace Aimi.Memory.Api.Domain;

/// <summary>One line of a conversation to remember, from a chat session or an import.</summary>
/// <param name="Id">The chat message id, or the importing client's own id.</param>
/// <param name="Speaker">Who said it when the transcript is between several people; null for the user.</param>
public sealed record ConversationLine(string Id, string Role, string? Speaker, string Content, DateTimeOffset At)
{
    public const string UserRole = "user";
    public const string AssistantRole = "assistant";

    public bool IsUser => Role == UserRole;

    /// <summary>False: the user asked for something to be forgotten in this line (or it is the reply): no writer keeps it or derives from it.</summary>
    public bool Remember { get; init; } = true;
}

/// <summary>A subject–predicate–object statement that became true at <see cref="ValidFrom"/>.</summary>
/// <param name="Subject"><see cref="Fact.TheUser"/>, the name of the speaker who said it, or of the person it is about ("my sister Anna lives in Paris").</param>
/// <param name="Statement">The words it came from (what search matches and what the assistant is shown).</param>
public sealed record Fact(string Subject, string Predicate, string Value, string Statement, IReadOnlyList<string> SourceMessageIds, DateTimeOffset ValidFrom)
{
    public const string TheUser = "user";

    /// <summary>How the fact reads in memory: the user's own words, or "Anna: I live in Paris".</summary>
    public string Content => Subject == TheUser ? Statement : $"{Subject}: {Statement}";
}

/// <summary>What one conversation yielded.</summary>
public sealed record Extraction(string Narrative, IReadOnlyList<Fact> Facts, IReadOnlyList<string> Intents, string? Mood, IReadOnlyList<string> Topics)
{
    public static readonly Extraction Empty = new("", [], [], null, []);

    /// <summary>The ids of the lines the narrative's sentences come from, in order, each once: what the summary cites.</summary>
    public IReadOnlyList<string> NarrativeSourceIds { get; init; } = [];
}

/// <summary>Predicates the extractors emit, and which of them hold one value at a time.</summary>
public static class Predicates
{
    public const string LivesIn = "lives_in";
    public const string WorksAt = "works_at";
    public const string WorksAs = "works_as";
    public const string StudiesAt = "studies_at";
    public const string NameIs = "name_is";
    public const string RelationshipStatus = "relationship_status";
    public const string PreparingFor = "preparing_for";
    public const string Likes = "likes";
    public const string Dislikes = "dislikes";
    public const string Feels = "feels";
    public const string HasRelative = "has_relative";
    /// <summary>What the user studies (law, "на юриста"); <see cref="StudiesAt"/> is where.</summary>
    public const string Studies = "studies";
    public const string AllergicTo = "allergic_to";

    /// <summary>A new value replaces the old one (you live in one city at a time).</summary>
    public static readonly IReadOnlySet<string> SingleValued = new HashSet<string>(StringComparer.Ordinal)
    {
        LivesIn, WorksAt, WorksAs, StudiesAt, NameIs, RelationshipStatus,
    };

    /// <summary>
    /// Multi-valued predicates whose values are things rather than phrasings: only the same value reinforces, never a similar
    /// sentence ("allergic to cats" and "allergic to dogs" embed at 0.79, Russian allergens up to 0.88, near the 0.9 that makes
    /// two likes one), so a second allergy or subject is a fact of its own.
    /// </summary>
    public static readonly IReadOnlySet<string> ComparedByValue = new HashSet<string>(StringComparer.Ordinal)
    {
        AllergicTo, Studies,
    };

    /// <summary>Opposites: "I don't like X" replaces "I like X" (same object).</summary>
    public static string? OppositeOf(string predicate) => predicate switch
    {
        Likes => Dislikes,
        Dislikes => Likes,
        _ => null,
    };
}

/// <summary>Turns a conversation into a summary, facts, intents, mood and topics. Local (rules) or a remote model.</summary>
public interface IConversationExtractor
{
    Task<Extraction> ExtractAsync(IReadOnlyList<ConversationLine> lines, CancellationToken cancellationToken);
}
