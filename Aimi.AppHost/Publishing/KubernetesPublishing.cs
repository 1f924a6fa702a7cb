using Aspire.Hosting;
using Aspire.Hosting.Pipelines;

namespace Aimi.AppHost.Publishing;

/// <summary>
/// Publishing the manifest (<c>--publisher manifest --output-path deploy/aspire-manifest.json</c>) also writes <c>kubernetes/</c>
/// beside it, from the same Aspire model. The folder belongs to the generator: files it no longer produces are deleted, so
/// it always equals a fresh run (the operator's <c>*.env</c> files, written from the <c>*.env.example</c> ones, excepted).
/// </summary>
public static class KubernetesPublishing
{
    public const string KubernetesFolder = "kubernetes";

    public static IDistributedApplicationBuilder AddKubernetesManifests(this IDistributedApplicationBuilder builder)
    {
        var root = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        builder.Pipeline.AddStep("publish-kubernetes", context =>
        {
            var manifest = builder.Configuration["Pipeline:OutputPath"]
                ?? throw new InvalidOperationException("--output-path is needed to know where the Kubernetes manifests go.");
            var folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(manifest))!, KubernetesFolder);
            foreach (var line in Write(folder, Generate(DeploymentModel.From(context.Model, root))))
            {
                LocalServers.LocalLog.Line(context.Logger, line);
            }
            return Task.CompletedTask;
        }, requiredBy: "publish-manifest");
        return builder;
    }

    /// <summary>Every file of <c>kubernetes/</c>, with paths relative to it.</summary>
    public static IReadOnlyList<GeneratedFile> Generate(DeploymentModel model) =>
        [.. KubernetesManifests.Generate(model), new GeneratedFile("README.md", KubernetesReadme.Text)];

    /// <summary>Writes the files into <paramref name="folder"/> and deletes the ones no longer generated; returns what it did, a line a file.</summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyList<GeneratedFile> files)
    {
        var log = new List<string>();
        foreach (var file in files)
        {
            var path = Path.Combine(folder, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Unchanged files keep their timestamps, so tools watching deploy/ see only real changes.
            var changed = !File.Exists(path) || File.ReadAllText(path) != file.Content;
            if (changed)
            {
                File.WriteAllText(path, file.Content);
            }
            log.Add($"{(changed ? "wrote    " : "unchanged")} {KubernetesFolder}/{file.Path}");
        }
        var expected = files.Select(f => Path.GetFullPath(Path.Combine(folder, f.Path))).ToHashSet();
        foreach (var stale in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                     .Where(p => !expected.Contains(Path.GetFullPath(p)) && !IsOperatorFile(p))
                     .Order(StringComparer.Ordinal))
        {
            File.Delete(stale);
            log.Add($"deleted   {KubernetesFolder}/{Path.GetRelativePath(folder, stale)}");
        }
        return log;
    }

    /// <summary>The operator's settings and secrets (<c>config.env</c>, <c>secrets/goals-api.env</c>…): never generated, never deleted.</summary>
    public static bool IsOperatorFile(string path) => path.EndsWith(".env", StringComparison.Ordinal);
}
