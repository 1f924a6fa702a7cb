using Aimi.Infrastructure;
using Aimi.Memory.Tests.Evaluation;

namespace Aimi.Memory.Benchmarks;

/// <summary>The tests' retrieval evaluation against the bench's service: recall@10 beside BM25, and how fast the imports went.</summary>
public static class RetrievalEvaluation
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Read from the repository rather than copied to the output: one copy of the set, whichever way the bench is run.</summary>
    public static string DataFolder() => EvaluationSet.Folder(Path.Combine(RepositoryRoot.Find(), "tests", "Aimi.Memory.Tests", "Evaluation", "Data"));

    public static async Task RunAsync(MemoryFactory factory)
    {
        var folder = DataFolder();
        var conversations = EvaluationSet.LoadFolder(folder);
        if (conversations.Count == 0)
        {
            Console.WriteLine($"retrieval evaluation: no conversations in {folder}");
            return;
        }
        Console.WriteLine($"retrieval evaluation ({folder}):");
        var outcomes = await RecallReport.RunAsync(conversations, () => factory.ClientFor($"bench-eval-{Guid.NewGuid():N}"), SessionTimeout, Console.Write);
        foreach (var error in outcomes.Select(o => o.Error).OfType<string>())
        {
            Console.WriteLine($"  failed: {error}");
        }
    }
}
