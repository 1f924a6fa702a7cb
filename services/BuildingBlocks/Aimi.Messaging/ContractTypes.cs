using System.Collections.Frozen;
using System.Text.Json;
using Aimi.Contracts.Goals;

namespace Aimi.Messaging;

/// <summary>The integration event types the outbox may carry, found by full name in the Contracts assembly.</summary>
public static class ContractTypes
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static readonly FrozenDictionary<string, Type> ByName = typeof(EventChanged).Assembly.GetExportedTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false, Namespace: not null } && t.Namespace.StartsWith("Aimi.Contracts.", StringComparison.Ordinal))
        .ToFrozenDictionary(t => t.FullName!, StringComparer.Ordinal);

    public static Type Resolve(string fullName) =>
        ByName.TryGetValue(fullName, out var type)
            ? type
            : throw new InvalidOperationException($"'{fullName}' is not an integration event of Aimi.Contracts.");

    public static void EnsureContract(Type type)
    {
        if (type.FullName is null || !ByName.ContainsKey(type.FullName))
        {
            throw new ArgumentException($"{type} is not an integration event of Aimi.Contracts; only contracts go through the outbox.", nameof(type));
        }
    }
}
