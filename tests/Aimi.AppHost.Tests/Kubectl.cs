using System.Diagnostics;
using System.Text;
using Aimi.AppHost.Publishing;
using k8s;
using k8s.Models;

namespace Aimi.AppHost.Tests;

/// <summary>Renders a kustomize overlay into typed objects: with <c>kubectl kustomize</c> (offline) when installed, else by a small merge.</summary>
internal static class Kubectl
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

    // The subset of kustomize the generated overlays use: resources (files and folders), merged configMapGenerators, secretGenerators from env files.
    private static List<object> Merge(string directory)
    {
        var kustomization = KubernetesYaml.Deserialize<Kustomization>(File.ReadAllText(System.IO.Path.Combine(directory, "kustomization.yaml")));
        var objects = new List<object>();
        foreach (var resource in kustomization.Resources ?? [])
        {
            var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, resource));
            objects.AddRange(Directory.Exists(path) ? Merge(path) : KubernetesYaml.LoadAllFromString(File.ReadAllText(path)));
        }
        foreach (var generator in kustomization.ConfigMapGenerator ?? [])
        {
            var values = Values(directory, generator);
            var configMap = objects.OfType<V1ConfigMap>().SingleOrDefault(c => c.Metadata.Name == generator.Name);
            if (configMap is null)
            {
                configMap = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = generator.Name }, Data = new Dictionary<string, string>() };
                objects.Add(configMap);
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
        return objects;
    }

    private static IEnumerable<KeyValuePair<string, string>> Values(string directory, KustomizeGenerator generator) =>
        (generator.Envs ?? []).SelectMany(env => File.ReadAllLines(System.IO.Path.Combine(directory, env)))
            .Concat(generator.Literals ?? [])
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .Select(parts => KeyValuePair.Create(parts[0], parts[1]));
}
