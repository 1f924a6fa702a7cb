using Aimi.AppHost.Hosting;
using Aimi.Infrastructure;

namespace Aimi.AppHost.Publishing;

/// <summary>
/// <c>publish</c>: writes <c>aspire-manifest.json</c> and <c>kubernetes/</c> from the same topology <c>up</c> runs. The
/// <c>kubernetes/</c> folder belongs to the generator: files it no longer produces are deleted, so the folder always equals a fresh run.
/// </summary>
public static class PublishCommand
{
    public const string ManifestFile = "aspire-manifest.json";
    public const string KubernetesFolder = "kubernetes";

    // Written by the operator from the *.example files; never generated, never deleted.
    private static readonly string[] OperatorFiles = ["secrets.env", "config.env"];

    /// <summary>Every file of one publish, with paths relative to the output folder.</summary>
    /// <param name="manifestToRoot">The repository root seen from the output folder (Aspire project paths are relative to the manifest).</param>
    public static IReadOnlyList<GeneratedFile> Generate(AppModel model, string manifestToRoot)
    {
        var files = new List<GeneratedFile> { new(ManifestFile, AspireManifest.Write(model, manifestToRoot)) };
        files.AddRange(KubernetesManifests.Generate(model).Select(f => f with { Path = $"{KubernetesFolder}/{f.Path}" }));
        files.Add(new GeneratedFile($"{KubernetesFolder}/README.md", KubernetesReadme.Text));
        return files;
    }

    public static int Run(AppModel model, PublishOptions options, TextWriter output)
    {
        var root = RepositoryRoot.Find();
        var directory = Path.GetFullPath(Path.Combine(root, options.Output));
        var files = Generate(model, Path.GetRelativePath(directory, root));

        foreach (var file in files)
        {
            var path = Path.Combine(directory, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Unchanged files keep their timestamps, so tools watching deploy/ see only real changes.
            var changed = !File.Exists(path) || File.ReadAllText(path) != file.Content;
            if (changed)
            {
                File.WriteAllText(path, file.Content);
            }
            output.WriteLine($"{(changed ? "wrote    " : "unchanged")} {Path.GetRelativePath(root, path)}");
        }

        var kubernetes = Path.Combine(directory, KubernetesFolder);
        var expected = files.Select(f => Path.GetFullPath(Path.Combine(directory, f.Path))).ToHashSet();
        foreach (var stale in Directory.EnumerateFiles(kubernetes, "*", SearchOption.AllDirectories)
                     .Where(p => !expected.Contains(Path.GetFullPath(p)) && !OperatorFiles.Contains(Path.GetFileName(p)))
                     .Order(StringComparer.Ordinal))
        {
            File.Delete(stale);
            output.WriteLine($"deleted   {Path.GetRelativePath(root, stale)}");
        }
        return 0;
    }
}
