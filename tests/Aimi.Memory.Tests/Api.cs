using System.Net;
using System.Text.Json;
using Aimi.Testing;

namespace Aimi.Memory.Tests;

/// <summary>Reads Memory's JSON answers as JSON, so the tests check the wire format rather than the service's own types.</summary>
public static class Api
{
    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        return await response.ReadAsync<JsonElement>(HttpStatusCode.OK);
    }

    public static IEnumerable<JsonElement> Items(this JsonElement array) => array.EnumerateArray();

    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;

    public static IReadOnlyList<string> Contents(this JsonElement array) => array.EnumerateArray().Select(e => e.Str("content")).ToList();
}
