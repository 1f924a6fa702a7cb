using System.Text.Json;
using Aimi.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Aimi.Memory.Tests;

/// <summary>
/// A user's history over two months, in English and Russian, with facts that change (city twice, employer, a like that
/// turns into a dislike). Every query has a known answer and the values it replaced; the figures are printed.
/// </summary>
public sealed class RetrievalQualityTests(MemoryHost host, ITestOutputHelper output) : IClassFixture<MemoryHost>
{
    private static readonly string[][] Sessions =
    [
        ["Hi! My name is Oleg.", "I live in Berlin and I work at Contoso.", "I love jazz.", "My sister Anna is a doctor."],
        ["Привет!", "Я готовлюсь к собеседованию в Яндексе.", "Я очень люблю плавание.", "Я так устал на этой неделе."],
        ["I moved to Munich.", "I'm training for a half marathon in October."],
        ["Я переехал в Амстердам.", "Моя подруга Маша помогает с переездом."],
        ["I got a new job at Fabrikam.", "Honestly, I don't like jazz anymore."],
        ["I want to learn to cook Thai food.", "My boss Peter is very demanding."],
    ];

    private sealed record Probe(string Query, string Answer, params string[] Stale);

    private static readonly Probe[] Probes =
    [
        new("where do I live now", "Амстердам", "Berlin", "Munich"),
        new("Где я живу?", "Амстердам", "Berlin", "Munich"),
        new("which company do I work for", "Fabrikam", "Contoso"),
        new("what kind of music do I like", "don't like jazz", "I love jazz"),
        new("tell me about my sister", "Anna"),
        new("собеседование", "Яндексе"),
        new("какой спорт я люблю", "плавание"),
        new("preparing for a running race", "half marathon"),
        new("what's my name", "Oleg"),
        new("подруга Маша", "Маша"),
        new("cooking plans", "Thai food"),
        new("who is my manager at work", "Peter"),
    ];

    [Fact]
    public async Task Known_answers_are_found_and_no_replaced_fact_is_returned_as_current()
    {
        var user = TestAuth.NewUserId();
        foreach (var session in Sessions)
        {
            await host.RememberAsync(user, session);
            host.Time.Advance(TimeSpan.FromDays(10));
        }
        var client = host.ClientFor(user);

        var ranks = new List<int?>();
        var stale = new List<string>();
        foreach (var probe in Probes)
        {
            var hits = (await client.GetJsonAsync($"/memory/search?q={Uri.EscapeDataString(probe.Query)}&k=5")).Items().ToList();
            var rank = hits.FindIndex(h => h.Str("content").Contains(probe.Answer, StringComparison.Ordinal));
            ranks.Add(rank < 0 ? null : rank + 1);
            stale.AddRange(hits.Where(h => h.GetProperty("isActive").GetBoolean() && probe.Stale.Any(s => h.Str("content").Contains(s, StringComparison.Ordinal)))
                .Select(h => $"{probe.Query} → {h.Str("content")}"));
            output.WriteLine($"{probe.Query,-32} rank {(rank < 0 ? "-" : (rank + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))}  top: {(hits.Count > 0 ? hits[0].Str("content") : "(none)")}");
        }

        double RecallAt(int k) => ranks.Count(r => r <= k) / (double)Probes.Length;
        output.WriteLine($"recall@1 {RecallAt(1):F2}  recall@3 {RecallAt(3):F2}  recall@5 {RecallAt(5):F2}  stale-as-current {stale.Count}");
        Assert.True(stale.Count == 0, string.Join("\n", stale));
        Assert.True(RecallAt(5) >= 0.9, $"recall@5 {RecallAt(5):F2}: misses {string.Join(", ", Probes.Where((p, i) => ranks[i] is null).Select(p => p.Query))}");
    }
}
