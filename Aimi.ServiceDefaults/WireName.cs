using System.Collections.Frozen;

namespace Aimi.ServiceDefaults;

/// <summary>The snake_case words enums have on the wire, in the database and in integration events.</summary>
public static class WireName
{
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum => Names<TEnum>.ByValue[value];

    public static TEnum Parse<TEnum>(string name) where TEnum : struct, Enum => Names<TEnum>.ByName[name];

    public static bool TryParse<TEnum>(string name, out TEnum value) where TEnum : struct, Enum => Names<TEnum>.ByName.TryGetValue(name, out value);

    public static IEnumerable<string> All<TEnum>() where TEnum : struct, Enum => Names<TEnum>.ByValue.Values;

    private static class Names<TEnum> where TEnum : struct, Enum
    {
        public static readonly FrozenDictionary<TEnum, string> ByValue = Enum.GetValues<TEnum>()
            .ToFrozenDictionary(v => v, v => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));
        public static readonly FrozenDictionary<string, TEnum> ByName = ByValue.ToFrozenDictionary(p => p.Value, p => p.Key);
    }
}
