using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aimi.AppHost.Publishing;
using k8s;
using k8s.Models;

namespace Aimi.AppHost.Tests;

/// <summary>Renders a kustomize overlay into typed objects: with <c>kubectl kustomize</c> (offline) when installed, else by a small merge.</summary>
internal static partial class Kubectl
{
    private static readonly Lazy<string?> Path = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator)
            .Select(dir => System.IO.Path.Combine(dir, "kubectl"))
            .FirstOrDefault(File.Exists));

    public static List<object> Kustomize(string directory) =>
        Path.Value is { } kubectl ? Run(kubectl, directory) : Merge(directory);

    private static List<object> Run(string kubectl, string directory)
    {
        using var process = Process.Start(new ProcessStartInfo(kubectl, ["kustomize", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl kustomize {directory} did not finish in 60 s.");
        }
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {directory} failed: {error.Result}");
        return KubernetesYaml.LoadAllFromString(output.Result).ToList();
    }

    private const string LocalConfigAnnotation = "config.kubernetes.io/local-config";

    // The subset of kustomize the generated overlays use: resources (files and folders), merged configMapGenerators, secretGenerators
    // from env files, local-config generators read by replacements (of a ConfigMap value into fields of an object) and then dropped.
    private static List<object> Merge(string directory)
    {
        var kustomization = KubernetesYaml.Deserialize<Kustomization>(File.ReadAllText(System.IO.Path.Combine(directory, "kustomization.yaml")));
        var objects = new List<object>();
        foreach (var resource in kustomization.Resources ?? [])
        {
            var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, resource));
            objects.AddRange(Directory.Exists(path) ? Merge(path) : KubernetesYaml.LoadAllFromString(File.ReadAllText(path)));
        }
        var localConfig = new List<V1ConfigMap>();
        foreach (var generator in kustomization.ConfigMapGenerator ?? [])
        {
            var values = Values(directory, generator);
            var configMap = objects.OfType<V1ConfigMap>().SingleOrDefault(c => c.Metadata.Name == generator.Name);
            if (configMap is null)
            {
                configMap = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = generator.Name }, Data = new Dictionary<string, string>() };
                if (generator.Options?.Annotations?.TryGetValue(LocalConfigAnnotation, out var local) == true && local == "true")
                {
                    localConfig.Add(configMap);
                }
                else
                {
                    objects.Add(configMap);
                }
            }
            foreach (var (key, value) in values)
            {
                configMap.Data[key] = value;
            }
        }
        foreach (var generator in kustomization.SecretGenerator ?? [])
        {
            objects.Add(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = generator.Name },
                Data = Values(directory, generator).ToDictionary(v => v.Key, v => Encoding.UTF8.GetBytes(v.Value)),
            });
        }
        foreach (var replacement in kustomization.Replacements ?? [])
        {
            var source = objects.OfType<V1ConfigMap>().Concat(localConfig).Single(c => c.Metadata.Name == replacement.Source.Name);
            var value = source.Data[replacement.Source.FieldPath["data.".Length..]];
            foreach (var target in replacement.Targets)
            {
                var index = objects.FindIndex(o => o is IKubernetesObject<V1ObjectMeta> k && k.Kind == target.Select.Kind && k.Metadata.Name == target.Select.Name);
                objects[index] = Replace(objects[index], target.FieldPaths, value);
            }
        }
        return objects;
    }

    /// <summary>Sets each field path (<c>spec.rules.0.host</c>, <c>metadata.annotations.[cert-manager.io/cluster-issuer]</c>) to the value.</summary>
    private static object Replace(object target, IEnumerable<string> fieldPaths, string value)
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(target))!;
        foreach (var fieldPath in fieldPaths)
        {
            var segments = FieldPathSegment().Matches(fieldPath).Select(m => m.Groups["key"].Success ? m.Groups["key"].Value : m.Groups["name"].Value).ToList();
            var parent = node;
            foreach (var segment in segments[..^1])
            {
                parent = int.TryParse(segment, out var i) ? parent[i]! : parent[segment]!;
            }
            if (int.TryParse(segments[^1], out var last))
            {
                parent[last] = value;
            }
            else
            {
                parent[segments[^1]] = value;
            }
        }
        // JSON is YAML: loaded back as the typed object of its kind.
        return KubernetesYaml.LoadAllFromString(node.ToJsonString()).Single();
    }

    [GeneratedRegex(@"\[(?<key>[^\]]+)\]|(?<name>[^.\[]+)")]
    private static partial Regex FieldPathSegment();

    private static IEnumerable<KeyValuePair<string, string>> Values(string directory, KustomizeGenerator generator) =>
        (generator.Envs ?? []).SelectMany(env => File.ReadAllLines(System.IO.Path.Combine(directory, env)))
            .Concat(generator.Literals ?? [])
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .Select(parts => KeyValuePair.Create(parts[0], parts[1]));
}
