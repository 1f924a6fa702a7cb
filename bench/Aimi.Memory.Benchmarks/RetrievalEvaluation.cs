using Aimi.Infrastructure;
using Aimi.Memory.Tests.Evaluation;

namespace Aimi.Memory.Benchmarks;

/// <summary>The tests' retrieval evaluation against the bench's service: recall@10 beside BM25, and how fast the imports went.</summary>
public static class RetrievalEvaluation
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Read from the repository rather than copied to the output: one copy of the set, whichever way the bench is run.</summary>
    public static string DataFolder() => EvaluationSet.Folder(Path.Combine(EvaluationRoot(), EvaluationSet.TunedFolderName));

    private static string EvaluationRoot() => Path.Combine(RepositoryRoot.Find(), "tests", "Aimi.Memory.Tests", "Evaluation");

    /// <summary>
    /// The set retrieval was tuned on, then the held-out one (<see cref="EvaluationSet.HeldOutFolderName"/>), each reported on its own;
    /// only the folder <see cref="EvaluationSet.FolderVariable"/> names, when it is set.
    /// </summary>
    public static async Task RunAsync(MemoryFactory factory)
    {
        if (Environment.GetEnvironmentVariable(EvaluationSet.FolderVariable) is { Length: > 0 })
        {
            await RunFolderAsync(factory, DataFolder(), "", writeMisses: true);
            return;
        }
        await RunFolderAsync(factory, DataFolder(), "tuned on", writeMisses: true);
        await RunFolderAsync(factory, Path.Combine(EvaluationRoot(), EvaluationSet.HeldOutFolderName), "held out: never tuned on", writeMisses: false);
    }

    private static async Task RunFolderAsync(MemoryFactory factory, string folder, string role, bool writeMisses)
    {
        var conversations = EvaluationSet.LoadFolder(folder);
        if (conversations.Count == 0)
        {
            Console.WriteLine($"retrieval evaluation: no conversations in {folder}");
            return;
        }
        Console.WriteLine(role.Length == 0 ? $"retrieval evaluation ({folder}):" : $"retrieval evaluation, {role} ({folder}):");
        var outcomes = await RecallReport.RunAsync(conversations, () => factory.ClientFor($"bench-eval-{Guid.NewGuid():N}"), SessionTimeout, Console.Write, writeMisses);
        foreach (var error in outcomes.Select(o => o.Error).OfType<string>())
        {
            Console.WriteLine($"  failed: {error}");
        }
    }
}
