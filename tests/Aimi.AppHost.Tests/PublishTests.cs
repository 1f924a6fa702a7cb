using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aimi.AppHost.Publishing;
using Aimi.ServiceDefaults;
using Aspire.Hosting;
using k8s;
using k8s.Models;

namespace Aimi.AppHost.Tests;

/// <summary>
/// What publishing writes: Aspire's manifest (by Aspire) and <c>deploy/kubernetes</c> (by our generator, from the same publish-mode
/// Aspire model). The committed <c>deploy/</c> must equal a fresh run of the documented command.
/// </summary>
public partial class PublishTests
{
    private static readonly string Root = PublishedOutput.Root;
    private static readonly string Deploy = Path.Combine(Root, "deploy");
    private static readonly DeploymentModel Model = DeploymentModel.From(AppHostModels.PublishModeAsync().GetAwaiter().GetResult(), Root);
    private static readonly IReadOnlyList<GeneratedFile> Files =
        [.. KubernetesPublishing.Generate(Model).Select(f => f with { Path = $"{KubernetesPublishing.KubernetesFolder}/{f.Path}" })];

    private const string Regenerate = "run `dotnet run --project Aimi.AppHost -- --publisher manifest --output-path ../deploy/aspire-manifest.json` (the path is relative to Aimi.AppHost/)";

    /// <summary>Socket completions inline only in the hosts without PostgreSQL (<see cref="AimiResources.WithInlineSocketCompletions"/>).</summary>
    private static string SocketSwitch(string project) => project is ResourceNames.Gateway or ResourceNames.Web ? "1" : "0";

    [Fact]
    public async Task Generation_is_deterministic()
    {
        var again = KubernetesPublishing.Generate(DeploymentModel.From(await AppHostModels.PublishModeAsync(), Root));

        Assert.Equal(Files.Select(f => f.Content), again.Select(f => f.Content));
        Assert.Equal(Files.Count, Files.Select(f => f.Path).Distinct().Count());
    }

    [Fact]
    public async Task The_committed_deploy_folder_equals_a_fresh_publish()
    {
        var fresh = await PublishedOutput.FolderAsync();

        // A topology change without the publish command fails here.
        var kubernetes = Path.Combine(fresh, KubernetesPublishing.KubernetesFolder);
        var generated = Directory.EnumerateFiles(kubernetes, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(fresh, p)).Order().ToList();
        Assert.Equal(Files.Select(f => f.Path).Order(), generated);
        foreach (var file in generated)
        {
            var committed = Path.Combine(Deploy, file);
            Assert.True(File.Exists(committed), $"{committed} is missing: {Regenerate}.");
            Assert.True(File.ReadAllText(committed) == File.ReadAllText(Path.Combine(fresh, file)), $"{committed} is stale: {Regenerate}.");
        }
        var extra = Directory.EnumerateFiles(Path.Combine(Deploy, KubernetesPublishing.KubernetesFolder), "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Deploy, p))
            .Where(p => !generated.Contains(p) && !KubernetesPublishing.IsOperatorFile(p));
        Assert.Empty(extra);

        // Project paths in the manifest are relative to its folder: compare where they point, the rest as written.
        Assert.Equal(Normalized(Path.Combine(Deploy, "aspire-manifest.json")), Normalized(Path.Combine(fresh, "aspire-manifest.json")));
    }

    [Fact]
    public void Every_project_has_a_deployment_and_a_service_with_health_probes_and_resources()
    {
        var objects = Objects("base");
        Assert.NotEmpty(Model.Projects);
        foreach (var project in Model.Projects)
        {
            var deployment = Assert.Single(objects.OfType<V1Deployment>(), d => d.Metadata.Name == project.Name);
            var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
            Assert.Equal($"aimi/{project.Name}:latest", container.Image);
            Assert.Equal(KubernetesManifests.ContainerPort, Assert.Single(container.Ports, p => p.Name == "http").ContainerPort);
            Assert.Equal("/health", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/alive", container.LivenessProbe.HttpGet.Path);
            Assert.Equal("http", container.ReadinessProbe.HttpGet.Port.Value);
            Assert.Equal(["cpu", "memory"], container.Resources.Requests.Keys.Order());
            Assert.Equal(["cpu", "memory"], container.Resources.Limits.Keys.Order());
            Assert.Equal(deployment.Spec.Selector.MatchLabels.ToHashSet(),
                deployment.Spec.Template.Metadata.Labels.Where(l => deployment.Spec.Selector.MatchLabels.ContainsKey(l.Key)).ToHashSet());

            var service = Assert.Single(objects.OfType<V1Service>(), s => s.Metadata.Name == project.Name);
            Assert.Equal(deployment.Spec.Selector.MatchLabels, service.Spec.Selector);
            var port = Assert.Single(service.Spec.Ports);
            Assert.Equal("http", port.TargetPort.Value);
            Assert.Equal("ClusterIP", service.Spec.Type);
            if (!project.IsGateway)
            {
                Assert.Equal(KubernetesManifests.ContainerPort, port.Port);
            }
        }
    }

    [Fact]
    public void Every_database_owner_has_a_migration_job_running_the_same_image_with_migrate()
    {
        var objects = Objects("base");
        var owners = Model.Projects.Where(p => p.References.Any(r => r is DeployedDatabase)).ToList();
        Assert.NotEmpty(owners);

        foreach (var project in owners)
        {
            var job = Assert.Single(objects.OfType<V1Job>(), j => j.Metadata.Name == $"{project.Name}-migrate");
            var container = Assert.Single(job.Spec.Template.Spec.Containers);
            var deployment = Assert.Single(Assert.Single(objects.OfType<V1Deployment>(), d => d.Metadata.Name == project.Name).Spec.Template.Spec.Containers);
            Assert.Equal(["--migrate"], container.Args);
            Assert.Null(container.Command);
            Assert.Equal(deployment.Image, container.Image);
            Assert.Equal(deployment.Env.Select(e => e.Name).Where(name => name != KubernetesManifests.SigningKeySecretKey), container.Env.Select(e => e.Name));
            Assert.Equal(deployment.EnvFrom.Select(e => e.ConfigMapRef.Name), container.EnvFrom.Select(e => e.ConfigMapRef.Name));
            Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
            Assert.Equal(KubernetesManifests.Components.Migration, job.Metadata.Labels[KubernetesManifests.ComponentLabel]);
        }
        Assert.Equal(owners.Count, objects.OfType<V1Job>().Count());
    }

    [Fact]
    public void The_base_kustomization_lists_every_base_file()
    {
        var kustomization = Kustomization("base");
        var files = Files.Where(f => f.Path.StartsWith("kubernetes/base/", StringComparison.Ordinal) && !f.Path.EndsWith("/kustomization.yaml", StringComparison.Ordinal))
            .Select(f => Path.GetFileName(f.Path));

        Assert.Equal(files.Order(), kustomization.Resources!.Order());
    }

    [Fact]
    public void Environment_names_follow_aspire_conventions()
    {
        var objects = Objects("base");
        var configMaps = objects.OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name);
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT", configMaps[KubernetesManifests.SharedConfigName].Data.Keys);
        Assert.Equal("8080", configMaps[KubernetesManifests.SharedConfigName].Data["ASPNETCORE_HTTP_PORTS"]);

        foreach (var project in Model.Projects)
        {
            var settings = configMaps[$"{project.Name}-env"].Data;
            Assert.Equal(project.Name, settings["OTEL_SERVICE_NAME"]);
            Assert.Equal(SocketSwitch(project.Name), settings[AimiResources.InlineSocketCompletions]);
            foreach (var other in project.References.OfType<DeployedProjectReference>())
            {
                Assert.Equal($"http://{other.Name}:8080", settings[$"services__{other.Name}__http__0"]);
            }

            var container = Assert.Single(objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == project.Name).Spec.Template.Spec.Containers);
            var expectedSecrets = project.References.Where(r => r is DeployedDatabase or DeployedRedis or DeployedRabbitMq)
                .Select(r => $"ConnectionStrings__{r.Name}").Concat(project.ValidatesTokens ? ["Auth__SigningKey"] : []);
            var env = container.Env ?? [];
            Assert.Equal(expectedSecrets, env.Select(e => e.Name));
            Assert.All(env, e => Assert.Equal((KubernetesManifests.SecretName(project.Name), e.Name), (e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)));
            Assert.All(settings.Keys.Concat(env.Select(e => e.Name)), name => Assert.Matches(AspireName(), name));
        }
    }

    [Fact]
    public void Only_the_development_overlay_enables_development_tokens()
    {
        var gateway = Assert.Single(Model.Projects, p => p.IsGateway);
        var baseSettings = Objects("base").OfType<V1ConfigMap>().Single(c => c.Metadata.Name == $"{gateway.Name}-env").Data;
        Assert.Equal("false", baseSettings["Auth__DevTokens"]);

        Assert.Equal(["Auth__DevTokens=true"], Generator("overlays/development", $"{gateway.Name}-env").Literals);
        Assert.Equal(["ASPNETCORE_ENVIRONMENT=Development"], Generator("overlays/development", "aimi-config").Literals);
        Assert.Equal(["Auth__DevTokens=false"], Generator("overlays/production", $"{gateway.Name}-env").Literals);
        Assert.Equal(["ASPNETCORE_ENVIRONMENT=Production"], Generator("overlays/production", "aimi-config").Literals);
        Assert.DoesNotContain(Files.Where(f => f.Path.StartsWith("kubernetes/overlays/production/", StringComparison.Ordinal)),
            f => f.Content.Contains("DevTokens=true", StringComparison.OrdinalIgnoreCase) || f.Content.Contains("Development", StringComparison.Ordinal));
    }

    [Fact]
    public void The_development_overlay_runs_the_infrastructure_and_production_references_it_externally()
    {
        var development = Objects("overlays/development");
        Assert.Contains(development.OfType<V1StatefulSet>(), s => s.Spec.Template.Spec.Containers[0].Image.Contains("pgvector", StringComparison.Ordinal));
        foreach (var server in Model.Resources.Where(r => r is DeployedPostgres or DeployedRedis or DeployedRabbitMq))
        {
            Assert.Contains(development.OfType<V1Service>(), s => s.Metadata.Name == server.Name);
        }

        var production = Objects("overlays/production");
        Assert.Empty(production.OfType<V1StatefulSet>());
        Assert.DoesNotContain(production.OfType<V1Deployment>(), d => d.Spec.Template.Spec.Containers.Any(c => c.Image is not null));
        Assert.All(Model.Projects, p => Assert.Equal(2, production.OfType<V1Deployment>().Single(d => d.Metadata.Name == p.Name).Spec.Replicas));
        Assert.All(Model.Projects, p => Assert.Contains(production.OfType<V1PodDisruptionBudget>(), b => b.Metadata.Name == p.Name));
    }

    [Fact]
    public void The_overlays_render_with_kustomize()
    {
        foreach (var (overlay, objects) in Rendered.Value)
        {
            var development = overlay == "development";
            var configMaps = objects.OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name);
            Assert.Equal(development ? "true" : "false", configMaps[$"{ResourceNamesGateway}-env"].Data["Auth__DevTokens"]);
            Assert.Equal(development ? "Development" : "Production", configMaps["aimi-config"].Data["ASPNETCORE_ENVIRONMENT"]);

            // Every secret reference points at a generated Secret and, unless optional, at a key its *.env.example provides.
            var secrets = objects.OfType<V1Secret>().ToDictionary(s => s.Metadata.Name);
            var containers = objects.OfType<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers)
                .Concat(objects.OfType<V1StatefulSet>().SelectMany(s => s.Spec.Template.Spec.Containers))
                .Concat(objects.OfType<V1Job>().SelectMany(j => j.Spec.Template.Spec.Containers));
            var references = containers.SelectMany(c => c.Env ?? []).Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => e.ValueFrom.SecretKeyRef).ToList();
            Assert.NotEmpty(references);
            Assert.All(references, r => Assert.Contains(r.Name, secrets.Keys));
            Assert.All(references.Where(r => r.Optional != true), r => Assert.Contains(r.Key, secrets[r.Name].Data.Keys));
            Assert.Equal(Model.Projects.Count(), objects.OfType<V1Deployment>().Count(d => d.Metadata.Labels[KubernetesManifests.ComponentLabel] == "service"));
        }
    }

    [Fact]
    public async Task The_aspire_manifest_has_every_resource_with_aspire_types_and_no_dangling_reference()
    {
        var path = Path.Combine(await PublishedOutput.FolderAsync(), "aspire-manifest.json");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var resources = json.RootElement.GetProperty("resources");
        string Type(string name) => resources.GetProperty(name).GetProperty("type").GetString()!;

        var postgres = Model.Resources.OfType<DeployedPostgres>().Single();
        Assert.Equal("container.v0", Type(postgres.Name));
        Assert.Equal("docker.io/pgvector/pgvector:pg15", resources.GetProperty(postgres.Name).GetProperty("image").GetString());
        foreach (var database in Model.Databases)
        {
            Assert.Equal("value.v0", Type(database.Name));
            Assert.Equal($"{{{postgres.Name}.connectionString}};Database={database.Name}", resources.GetProperty(database.Name).GetProperty("connectionString").GetString());
        }
        foreach (var server in Model.Resources.Where(r => r is DeployedRedis or DeployedRabbitMq or DeployedPostgres))
        {
            Assert.Equal("container.v0", Type(server.Name));
            Assert.Equal("parameter.v0", Type(KubernetesManifests.PasswordParameter(server.Name)));
        }
        foreach (var project in Model.Projects)
        {
            var resource = resources.GetProperty(project.Name);
            Assert.Equal("project.v0", Type(project.Name));
            Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, resource.GetProperty("path").GetString()!)), $"{project.Name}: path is not relative to the manifest");
            var env = resource.GetProperty("env");
            foreach (var reference in project.References)
            {
                var (key, value) = reference is DeployedProjectReference
                    ? ($"services__{reference.Name}__http__0", $"{{{reference.Name}.bindings.http.url}}")
                    : ($"ConnectionStrings__{reference.Name}", $"{{{reference.Name}.connectionString}}");
                Assert.Equal(value, env.GetProperty(key).GetString());
            }
            if (project.ValidatesTokens)
            {
                Assert.Equal("{auth-signing-key.value}", env.GetProperty("Auth__SigningKey").GetString());
            }
            else
            {
                Assert.False(env.TryGetProperty("Auth__SigningKey", out _), $"{project.Name} gets the signing key.");
            }
            // The exporter gives up within a second at stop instead of holding the service ~10 s.
            Assert.Equal("1000", env.GetProperty("OTEL_EXPORTER_OTLP_TIMEOUT").GetString());
            Assert.Equal(SocketSwitch(project.Name), env.GetProperty(AimiResources.InlineSocketCompletions).GetString());
            var http = resource.GetProperty("bindings").GetProperty("http");
            Assert.Equal(project.IsGateway, http.TryGetProperty("external", out var external) && external.GetBoolean());
        }

        // Every {resource.…} expression names a resource of the manifest.
        var names = resources.EnumerateObject().Select(r => r.Name).ToHashSet();
        var expressions = Expression().Matches(json.RootElement.GetRawText()).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(expressions);
        Assert.All(expressions, name => Assert.Contains(name, names));
    }

    [Fact]
    public void No_generated_file_holds_a_secret()
    {
        Assert.All(Files, file =>
        {
            // Passwords appear only as <placeholders> or Aspire parameter expressions.
            foreach (Match password in PasswordValue().Matches(file.Content))
            {
                Assert.Matches(@"^(<[a-z-]+>|\{[a-z-]+\.value\})$", password.Groups[1].Value);
            }
            foreach (Match userInfo in AmqpUserInfo().Matches(file.Content))
            {
                Assert.Matches(@"^(<[a-z-]+>|\{[a-z-]+\.value\})$", userInfo.Groups[1].Value);
            }
            foreach (Match key in SigningKeyValue().Matches(file.Content))
            {
                Assert.Matches(@"^(<[a-z-]+>|\{[a-z-]+\.value\})$", key.Groups[1].Value);
            }
        });

        // No Secret object with data: overlays generate each workload's Secret from the operator's git-ignored secrets/<name>.env.
        var yamlObjects = Files.Where(f => f.Path.EndsWith(".yaml", StringComparison.Ordinal) && !f.Path.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(f => KubernetesYaml.LoadAllFromString(f.Content));
        Assert.Empty(yamlObjects.OfType<V1Secret>());
        Assert.Contains("overlays/*/secrets/*.env", Files.Single(f => f.Path == "kubernetes/.gitignore").Content, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_deletes_stale_files_and_keeps_the_operators_secrets()
    {
        var output = Directory.CreateTempSubdirectory("aimi-kubernetes-").FullName;
        try
        {
            var stale = Path.Combine(output, "base", "removed-service-deployment.yaml");
            var secrets = Path.Combine(output, "overlays", "development", "secrets", "goals-api.env");
            Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
            Directory.CreateDirectory(Path.GetDirectoryName(secrets)!);
            File.WriteAllText(stale, "kind: Deployment\n");
            File.WriteAllText(secrets, "postgres-password=kept\n");

            var log = KubernetesPublishing.Write(output, KubernetesPublishing.Generate(Model));

            Assert.False(File.Exists(stale));
            Assert.Equal("postgres-password=kept\n", File.ReadAllText(secrets));
            Assert.All(KubernetesPublishing.Generate(Model), f => Assert.Equal(f.Content, File.ReadAllText(Path.Combine(output, f.Path))));
            Assert.Contains(log, line => line.StartsWith("deleted", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>The manifest with each project path resolved against the manifest's folder.</summary>
    private static string Normalized(string manifest)
    {
        var json = JsonNode.Parse(File.ReadAllText(manifest))!;
        foreach (var (_, resource) in json["resources"]!.AsObject())
        {
            if (resource?["path"] is { } projectPath)
            {
                resource["path"] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(manifest)!, projectPath.GetValue<string>()));
            }
        }
        return json.ToJsonString();
    }

    private static readonly string[] Overlays = ["development", "production"];

    /// <summary>Both overlays rendered once (kustomize takes a second or two each); tests only read them.</summary>
    private static readonly Lazy<Dictionary<string, List<object>>> Rendered = new(RenderOverlays);

    private const string ResourceNamesGateway = Aimi.ServiceDefaults.ResourceNames.Gateway;

    private static List<object> Objects(string folder) =>
        Files.Where(f => f.Path.StartsWith($"kubernetes/{folder}/", StringComparison.Ordinal) && f.Path.EndsWith(".yaml", StringComparison.Ordinal)
                && !f.Path.EndsWith("/kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(f => KubernetesYaml.LoadAllFromString(f.Content))
            .ToList();

    private static Kustomization Kustomization(string folder) =>
        KubernetesYaml.Deserialize<Kustomization>(Files.Single(f => f.Path == $"kubernetes/{folder}/kustomization.yaml").Content);

    private static KustomizeGenerator Generator(string overlay, string name) =>
        Assert.Single(Kustomization(overlay).ConfigMapGenerator!, g => g.Name == name);

    /// <summary>
    /// The overlays as kubectl would apply them, with the operator's *.env files made from the examples. Renders with `kubectl kustomize`
    /// (offline); where kubectl is not installed, merges the overlay's generators into the base by the same rules.
    /// </summary>
    private static Dictionary<string, List<object>> RenderOverlays()
    {
        var folder = Directory.CreateTempSubdirectory("aimi-kustomize-").FullName;
        try
        {
            foreach (var file in Files.Where(f => f.Path.StartsWith("kubernetes/", StringComparison.Ordinal)))
            {
                var path = Path.Combine(folder, file.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, file.Content);
                if (file.Path.EndsWith(".env.example", StringComparison.Ordinal))
                {
                    File.WriteAllText(path[..^".example".Length], file.Content);
                }
            }
            return Overlays.ToDictionary(o => o, o => Kubectl.Kustomize(Path.Combine(folder, "kubernetes", "overlays", o)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]*$")]
    private static partial Regex AspireName();

    [GeneratedRegex(@"\{([a-z0-9-]+)\.(?:connectionString|bindings|value|inputs)")]
    private static partial Regex Expression();

    [GeneratedRegex(@"(?i)password=([^;,\s""]*)")]
    private static partial Regex PasswordValue();

    [GeneratedRegex(@"amqps?://[^:/@\s""]+:([^@\s""]+)@")]
    private static partial Regex AmqpUserInfo();

    [GeneratedRegex(@"Auth__SigningKey[""]?\s*[=:]\s*""?([^""\s]+)")]
    private static partial Regex SigningKeyValue();
}
