using System.Globalization;
using Aimi.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Aimi.Memory.Tests.Evaluation;

/// <summary>Minutes of imports on two cores: alone, so it neither slows the other classes nor is slowed by them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RetrievalEvaluationRunsAlone
{
    public const string Name = "Retrieval evaluation";
}

/// <summary>
/// Each conversation of an evaluation folder imported for a fresh user, then every question searched: recall@10 of the evidence
/// messages, per kind and overall, beside BM25 over the raw messages. Memory must hold the floors and beat BM25 by the margin.
/// Two folders: <c>Evaluation/Data</c>, the set retrieval was tuned on, and <c>Evaluation/HeldOut</c>, three conversations written
/// afterwards by people who had not seen it (two English, one Russian) and never tuned on: what a user's own conversations should expect.
/// </summary>
[Collection(RetrievalEvaluationRunsAlone.Name)]
public sealed class RetrievalEvaluationTests(MemoryHost host, ITestOutputHelper output) : IClassFixture<MemoryHost>
{
    // Floors a little under the figures measured on the whole set (0.758 overall; single 0.876, multi 0.422, temporal 0.942,
    // inference 0.516; BM25 0.473; before ordinal days were resolved 0.751, temporal 0.930), so a regression fails here (with every line's length counting alike, 0.738; with a line that
    // only asks counted whole too, 0.722; without the verb forms and the short-text penalty too, 0.696; without the category words
    // too, 0.685); raise them with the figures, never to a figure not yet reached. Inference went from 0.520 to 0.493 with the
    // length: its floor came down with it.
    private static readonly Dictionary<string, double> TunedFloors = new(StringComparer.Ordinal)
    {
        ["single"] = 0.85, ["multi"] = 0.41, ["temporal"] = 0.92, ["inference"] = 0.48, [RecallReport.All] = 0.74,
    };

    // The held-out set measured 0.771 (single 0.810, multi 0.600, temporal 0.950, inference 0.512; English 0.821, Russian 0.671)
    // against BM25 0.502 when it was added (2026-12-04), before any change was tried on it. Floors a little under, as above.
    private static readonly Dictionary<string, double> HeldOutFloors = new(StringComparer.Ordinal)
    {
        ["single"] = 0.78, ["multi"] = 0.56, ["temporal"] = 0.92, ["inference"] = 0.47, [RecallReport.All] = 0.75,
    };

    private const double MarginOverBm25 = 0.15;

    private static readonly TimeSpan SessionTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public Task Memory_search_finds_the_evidence_of_every_question_better_than_BM25() =>
        HoldsFloorsAsync(EvaluationSet.Folder(Path.Combine(AppContext.BaseDirectory, "Evaluation", EvaluationSet.TunedFolderName)), TunedFloors);

    [Fact]
    public Task Memory_search_holds_up_on_conversations_it_was_never_tuned_on() =>
        HoldsFloorsAsync(Path.Combine(AppContext.BaseDirectory, "Evaluation", EvaluationSet.HeldOutFolderName), HeldOutFloors);

    private async Task HoldsFloorsAsync(string folder, Dictionary<string, double> floors)
    {
        var conversations = EvaluationSet.LoadFolder(folder);
        Assert.True(conversations.Count > 0, $"No evaluation conversations found in {folder}.");

        var outcomes = await RecallReport.RunAsync(conversations, () => host.ClientFor(TestAuth.NewUserId()), SessionTimeout, output.WriteLine);

        var errors = outcomes.Where(o => o.Error is not null).Select(o => o.Error).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} question(s) failed:\n{string.Join("\n", errors)}");
        var rows = RecallReport.Summarise(outcomes);
        var below = rows.Where(r => r.Memory < floors[r.Kind]).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Kind}: memory recall {r.Memory:F3} < floor {floors[r.Kind]:F3}")).ToList();
        Assert.True(below.Count == 0, string.Join("\n", below));
        var all = rows.Single(r => r.Kind == RecallReport.All);
        Assert.True(all.Memory - all.Bm25 >= MarginOverBm25,
            string.Create(CultureInfo.InvariantCulture, $"Memory recall@{RecallReport.K} {all.Memory:F3} does not beat BM25's {all.Bm25:F3} by {MarginOverBm25:F3}."));
    }
}
