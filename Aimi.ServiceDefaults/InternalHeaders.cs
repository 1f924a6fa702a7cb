namespace Aimi.ServiceDefaults;

/// <summary>
/// Headers that only Aimi's services set, on their calls to each other inside the cluster. The gateway — the only
/// public entry — removes every header with <see cref="Prefix"/> from client requests, so no client can set one
/// (docs/decisions/0006-internal-headers-and-actor.md).
/// </summary>
public static class InternalHeaders
{
    public const string Prefix = "X-Aimi-";

    /// <summary>Who acts on the user's behalf: Chat sends <c>assistant</c> on the assistant's tool calls.</summary>
    public const string Actor = "X-Aimi-Actor";

    public static bool IsInternal(string name) => name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);
}
