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
/// Each conversation of <c>Evaluation/Data</c> imported for a fresh user, then every question searched: recall@10 of the evidence
/// messages, per kind and overall, beside BM25 over the raw messages. Memory must hold the floors and beat BM25 by the margin.
/// </summary>
[Collection(RetrievalEvaluationRunsAlone.Name)]
public sealed class RetrievalEvaluationTests(MemoryHost host, ITestOutputHelper output) : IClassFixture<MemoryHost>
{
    // Floors a little under the figures measured on the whole set (0.749 overall; single 0.865, multi 0.436, temporal 0.930,
    // inference 0.493; BM25 0.473), so a regression fails here (with every line's length counting alike, 0.738; with a line that
    // only asks counted whole too, 0.722; without the verb forms and the short-text penalty too, 0.696; without the category words
    // too, 0.685); raise them with the figures, never to a figure not yet reached. Inference went from 0.520 to 0.493 with the
    // length: its floor came down with it.
    private const double MemoryFloor = 0.73;
    private const double SingleFloor = 0.84;
    private const double MultiFloor = 0.41;
    private const double TemporalFloor = 0.90;
    private const double InferenceFloor = 0.48;
    private const double MarginOverBm25 = 0.15;

    private static readonly TimeSpan SessionTimeout = TimeSpan.FromMinutes(2);

    private static readonly Dictionary<string, double> Floors = new(StringComparer.Ordinal)
    {
        ["single"] = SingleFloor, ["multi"] = MultiFloor, ["temporal"] = TemporalFloor, ["inference"] = InferenceFloor, [RecallReport.All] = MemoryFloor,
    };

    [Fact]
    public async Task Memory_search_finds_the_evidence_of_every_question_better_than_BM25()
    {
        var conversations = EvaluationSet.LoadFolder(EvaluationSet.Folder(Path.Combine(AppContext.BaseDirectory, "Evaluation", "Data")));
        Assert.True(conversations.Count > 0, "No evaluation conversations found.");

        var outcomes = await RecallReport.RunAsync(conversations, () => host.ClientFor(TestAuth.NewUserId()), SessionTimeout, output.WriteLine);

        var errors = outcomes.Where(o => o.Error is not null).Select(o => o.Error).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} question(s) failed:\n{string.Join("\n", errors)}");
        var rows = RecallReport.Summarise(outcomes);
        var below = rows.Where(r => r.Memory < Floors[r.Kind]).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Kind}: memory recall {r.Memory:F3} < floor {Floors[r.Kind]:F3}")).ToList();
        Assert.True(below.Count == 0, string.Join("\n", below));
        var all = rows.Single(r => r.Kind == RecallReport.All);
        Assert.True(all.Memory - all.Bm25 >= MarginOverBm25,
            string.Create(CultureInfo.InvariantCulture, $"Memory recall@{RecallReport.K} {all.Memory:F3} does not beat BM25's {all.Bm25:F3} by {MarginOverBm25:F3}."));
    }
}
