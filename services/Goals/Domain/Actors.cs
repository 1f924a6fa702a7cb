namespace Aimi.Goals.Api.Domain;

/// <summary>Who made a change, as <c>event_history</c> records it.</summary>
public static class Actors
{
    public const string User = "user";
    public const string Assistant = "assistant";
    public const string System = "system";
}
