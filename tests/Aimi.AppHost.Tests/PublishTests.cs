using System.Text.Json;
using System.Text.RegularExpressions;
using Aimi.AppHost.Hosting;
using Aimi.AppHost.Publishing;
using Aimi.Infrastructure;
using k8s;
using k8s.Models;

namespace Aimi.AppHost.Tests;

public partial class PublishTests
{
    private static readonly AppModel Model = Topology.Build();
    private static readonly IReadOnlyList<GeneratedFile> Files = PublishCommand.Generate(Model, "..");
    private static readonly string Root = RepositoryRoot.Find();
    private static readonly string Deploy = Path.Combine(Root, PublishOptions.DefaultOutput);

    [Fact]
    public void Generation_is_deterministic()
    {
        var again = PublishCommand.Generate(Topology.Build(), "..");

        Assert.Equal(Files, again);
        Assert.Equal(Files.Count, Files.Select(f => f.Path).Distinct().Count());
    }

    [Fact]
    public void The_committed_deploy_folder_equals_a_fresh_generation()
    {
        // A topology change without `dotnet run --project Aimi.AppHost -- publish` fails here.
        Assert.All(Files, file =>
        {
            var path = Path.Combine(Deploy, file.Path);
            Assert.True(File.Exists(path), $"{path} is missing: run `dotnet run --project Aimi.AppHost -- publish`.");
            Assert.True(File.ReadAllText(path) == file.Content, $"{path} is stale: run `dotnet run --project Aimi.AppHost -- publish`.");
        });
        var generated = Files.Select(f => Path.GetFullPath(Path.Combine(Deploy, f.Path))).ToHashSet();
        var extra = Directory.EnumerateFiles(Path.Combine(Deploy, PublishCommand.KubernetesFolder), "*", SearchOption.AllDirectories)
            .Where(p => !generated.Contains(Path.GetFullPath(p)) && Path.GetFileName(p) is not ("secrets.env" or "config.env"));
        Assert.Empty(extra);
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
            Assert.Equal(project.IsGateway ? "LoadBalancer" : "ClusterIP", service.Spec.Type);
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
        var owners = Model.Projects.Where(p => p.References.Any(r => r is PostgresDatabaseResource)).ToList();
        Assert.NotEmpty(owners);

        foreach (var project in owners)
        {
            var job = Assert.Single(objects.OfType<V1Job>(), j => j.Metadata.Name == $"{project.Name}-migrate");
            var container = Assert.Single(job.Spec.Template.Spec.Containers);
            var deployment = Assert.Single(Assert.Single(objects.OfType<V1Deployment>(), d => d.Metadata.Name == project.Name).Spec.Template.Spec.Containers);
            Assert.Equal(["--migrate"], container.Args);
            Assert.Null(container.Command);
            Assert.Equal(deployment.Image, container.Image);
            Assert.Equal(deployment.Env.Select(e => e.Name), container.Env.Select(e => e.Name));
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
            foreach (var other in project.References.OfType<ProjectReferenceResource>())
            {
                Assert.Equal($"http://{other.Name}:8080", settings[$"services__{other.Name}__http__0"]);
            }

            var container = Assert.Single(objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == project.Name).Spec.Template.Spec.Containers);
            var expectedSecrets = project.References.Where(r => r is PostgresDatabaseResource or RedisResource or RabbitMqResource)
                .Select(r => $"ConnectionStrings__{r.Name}").Append("Auth__SigningKey");
            Assert.Equal(expectedSecrets, container.Env.Select(e => e.Name));
            Assert.All(container.Env, e => Assert.Equal((KubernetesManifests.SecretName, e.Name), (e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)));
            Assert.All(settings.Keys.Concat(container.Env.Select(e => e.Name)), name => Assert.Matches(AspireName(), name));
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
        foreach (var server in Model.Resources.Where(r => r is PostgresServerResource or RedisResource or RabbitMqResource))
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
        var rendered = RenderOverlays();
        foreach (var (overlay, objects) in rendered)
        {
            var development = overlay == "development";
            var configMaps = objects.OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name);
            Assert.Equal(development ? "true" : "false", configMaps[$"{ResourceNamesGateway}-env"].Data["Auth__DevTokens"]);
            Assert.Equal(development ? "Development" : "Production", configMaps["aimi-config"].Data["ASPNETCORE_ENVIRONMENT"]);

            // Every secret reference points at the generated Secret and at a key its secrets.env.example provides.
            var secret = Assert.Single(objects.OfType<V1Secret>());
            var containers = objects.OfType<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers)
                .Concat(objects.OfType<V1StatefulSet>().SelectMany(s => s.Spec.Template.Spec.Containers))
                .Concat(objects.OfType<V1Job>().SelectMany(j => j.Spec.Template.Spec.Containers));
            var references = containers.SelectMany(c => c.Env ?? []).Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => e.ValueFrom.SecretKeyRef).ToList();
            Assert.NotEmpty(references);
            Assert.All(references, r => Assert.Equal(secret.Metadata.Name, r.Name));
            Assert.All(references, r => Assert.Contains(r.Key, secret.Data.Keys));
            Assert.Equal(Model.Projects.Count(), objects.OfType<V1Deployment>().Count(d => d.Metadata.Labels[KubernetesManifests.ComponentLabel] == "service"));
        }
    }

    [Fact]
    public void The_aspire_manifest_describes_every_resource_with_aspire_types_and_expressions()
    {
        using var json = JsonDocument.Parse(Files.Single(f => f.Path == PublishCommand.ManifestFile).Content);
        Assert.Equal("https://json.schemastore.org/aspire-8.0.json", json.RootElement.GetProperty("$schema").GetString());
        var resources = json.RootElement.GetProperty("resources");
        string Type(string name) => resources.GetProperty(name).GetProperty("type").GetString()!;

        var postgres = Model.Resources.OfType<PostgresServerResource>().Single();
        Assert.Equal("container.v0", Type(postgres.Name));
        Assert.StartsWith("docker.io/pgvector/pgvector:pg15", resources.GetProperty(postgres.Name).GetProperty("image").GetString(), StringComparison.Ordinal);
        foreach (var database in Model.Databases)
        {
            Assert.Equal("value.v0", Type(database.Name));
            Assert.Equal($"{{{postgres.Name}.connectionString}};Database={database.Name}", resources.GetProperty(database.Name).GetProperty("connectionString").GetString());
        }
        foreach (var server in Model.Resources.Where(r => r is RedisResource or RabbitMqResource or PostgresServerResource))
        {
            Assert.Equal("container.v0", Type(server.Name));
            Assert.Contains($"{{{server.Name}.bindings.tcp.host}}", resources.GetProperty(server.Name).GetProperty("connectionString").GetString(), StringComparison.Ordinal);
            var password = resources.GetProperty($"{server.Name}-password");
            Assert.Equal("parameter.v0", password.GetProperty("type").GetString());
            Assert.True(password.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        }
        foreach (var project in Model.Projects)
        {
            var resource = resources.GetProperty(project.Name);
            Assert.Equal("project.v0", Type(project.Name));
            Assert.True(File.Exists(Path.Combine(Deploy, resource.GetProperty("path").GetString()!)), $"{project.Name}: path is not relative to the manifest");
            var env = resource.GetProperty("env");
            foreach (var reference in project.References)
            {
                var (key, value) = reference is ProjectReferenceResource
                    ? ($"services__{reference.Name}__http__0", $"{{{reference.Name}.bindings.http.url}}")
                    : ($"ConnectionStrings__{reference.Name}", $"{{{reference.Name}.connectionString}}");
                Assert.Equal(value, env.GetProperty(key).GetString());
            }
            var http = resource.GetProperty("bindings").GetProperty("http");
            Assert.Equal(("http", "tcp", "http"), (http.GetProperty("scheme").GetString(), http.GetProperty("protocol").GetString(), http.GetProperty("transport").GetString()));
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

        // No Secret object with data: overlays generate aimi-secrets from the operator's git-ignored secrets.env.
        var yamlObjects = Files.Where(f => f.Path.EndsWith(".yaml", StringComparison.Ordinal) && !f.Path.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(f => KubernetesYaml.LoadAllFromString(f.Content));
        Assert.Empty(yamlObjects.OfType<V1Secret>());
        Assert.Contains("overlays/*/secrets.env", Files.Single(f => f.Path == "kubernetes/.gitignore").Content, StringComparison.Ordinal);

        // This machine's development signing key (used by `up`) never leaks into deploy/.
        var devKey = Path.Combine(Root, ".aimi", "dev-signing-key");
        if (File.Exists(devKey) && File.ReadAllText(devKey).Trim() is { Length: >= 32 } key)
        {
            Assert.DoesNotContain(Files, f => f.Content.Contains(key, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Publish_writes_into_the_output_folder_deletes_stale_files_and_keeps_the_operators_secrets()
    {
        var output = Directory.CreateTempSubdirectory("aimi-publish-").FullName;
        try
        {
            var stale = Path.Combine(output, "kubernetes", "base", "removed-service-deployment.yaml");
            var secrets = Path.Combine(output, "kubernetes", "overlays", "development", "secrets.env");
            Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
            Directory.CreateDirectory(Path.GetDirectoryName(secrets)!);
            File.WriteAllText(stale, "kind: Deployment\n");
            File.WriteAllText(secrets, "postgres-password=kept\n");
            using var log = new StringWriter();

            Assert.Equal(0, PublishCommand.Run(Model, new PublishOptions(output), log));

            Assert.False(File.Exists(stale));
            Assert.Equal("postgres-password=kept\n", File.ReadAllText(secrets));
            var written = PublishCommand.Generate(Model, Path.GetRelativePath(output, Root));
            Assert.All(written, f => Assert.Equal(f.Content, File.ReadAllText(Path.Combine(output, f.Path))));
            Assert.Contains("deleted", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void Publish_options_default_to_deploy_and_reject_unknown_arguments()
    {
        Assert.Equal("deploy", PublishOptions.Parse([]).Output);
        Assert.Equal("out/deploy", PublishOptions.Parse(["--output", "out/deploy"]).Output);
        Assert.Throws<ArgumentException>(() => PublishOptions.Parse(["--output"]));
        Assert.Throws<ArgumentException>(() => PublishOptions.Parse(["--replicas", "3"]));
    }

    private static readonly string[] Overlays = ["development", "production"];

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
    /// The overlays as kubectl would apply them, with secrets.env/config.env made from the examples. Renders with `kubectl kustomize`
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
