using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;

namespace Aimi.AppHost.Publishing;

/// <summary>A file <c>publish</c> writes: a path relative to the output folder (forward slashes) and its exact content.</summary>
public sealed record GeneratedFile(string Path, string Content);

/// <summary>
/// The Aspire model (publish mode, read through <see cref="DeploymentModel"/>) as kustomize manifests: <c>base/</c> (per project a ConfigMap, Deployment, Service and, when it owns a database,
/// a migration Job) and <c>overlays/development</c> (in-cluster PostgreSQL+pgvector, Redis, RabbitMQ; development tokens) and
/// <c>overlays/production</c> (external infrastructure, more replicas, disruption budgets). Every object is a typed KubernetesClient
/// model; secrets are never written: the overlays generate <c>aimi-secrets</c> from a git-ignored <c>secrets.env</c>.
/// </summary>
public static class KubernetesManifests
{
    public const int ContainerPort = 8080;
    public const int GatewayServicePort = 80;
    public const int PostgresPort = 5432;
    public const int RedisPort = 6379;
    public const int RabbitMqPort = 5672;
    public const int RabbitMqManagementPort = 15672;

    public const string SecretName = "aimi-secrets";
    public const string SharedConfigName = "aimi-config";
    public const string SigningKeySecretKey = "Auth__SigningKey";
    public const string MigrateArgument = "--migrate";
    public const string RabbitMqUser = "aimi";
    public const string ImagePrefix = "aimi/";

    public const string NameLabel = "app.kubernetes.io/name";
    public const string ComponentLabel = "app.kubernetes.io/component";
    public const string PartOfLabel = "app.kubernetes.io/part-of";
    public const string PartOf = "aimi";

    /// <summary>Component label values; <c>kubectl apply -l app.kubernetes.io/component!=service</c> applies everything but the services.</summary>
    public static class Components
    {
        public const string Service = "service";
        public const string Migration = "migration";
        public const string Config = "config";
        public const string Database = "database";
        public const string Cache = "cache";
        public const string Broker = "broker";
    }

    public static string Image(string project) => $"{ImagePrefix}{project}";

    public static string ConfigMapName(string project) => $"{project}-env";

    public static string MigrationJobName(string project) => $"{project}-migrate";

    public static string ConnectionStringKey(string resource) => $"ConnectionStrings__{resource}";

    /// <summary>The secret key of a server's password: the name of the parameter Aspire generates for it (<c>postgres-password</c>).</summary>
    public static string PasswordParameter(string server) => $"{server}-password";

    public static IReadOnlyList<GeneratedFile> Generate(DeploymentModel model)
    {
        var files = new List<GeneratedFile>();
        files.AddRange(Base(model));
        files.AddRange(Development(model));
        files.AddRange(Production(model));
        files.Add(new GeneratedFile(".gitignore", "# Filled in by the operator from the *.example files beside them; never committed.\noverlays/*/secrets.env\noverlays/*/config.env\n"));
        return files;
    }

    /// <summary>Databases a project migrates with its <c>--migrate</c> job: the ones it references.</summary>
    public static IReadOnlyList<DeployedDatabase> OwnedDatabases(DeployedProject project) =>
        project.References.OfType<DeployedDatabase>().ToList();

    private static List<GeneratedFile> Base(DeploymentModel model)
    {
        var resources = new List<string>();
        var files = new List<GeneratedFile>();
        void Add(string file, object value)
        {
            resources.Add(file);
            files.Add(Yaml($"base/{file}", value));
        }

        Add($"{SharedConfigName}.yaml", SharedConfig());
        foreach (var project in model.Projects)
        {
            Add($"{project.Name}-configmap.yaml", ProjectConfig(project));
            Add($"{project.Name}-deployment.yaml", Deployment(project));
            Add($"{project.Name}-service.yaml", Service(project));
            if (OwnedDatabases(project).Count > 0)
            {
                Add($"{project.Name}-migrate-job.yaml", MigrationJob(project));
            }
        }

        files.Insert(0, Yaml("base/kustomization.yaml", new Kustomization
        {
            Labels = [new KustomizeLabels { Pairs = new Dictionary<string, string> { [PartOfLabel] = PartOf }, IncludeSelectors = false }],
            Resources = resources,
        }));
        return files;
    }

    private static List<GeneratedFile> Development(DeploymentModel model)
    {
        const string dir = "overlays/development";
        var resources = new List<string> { "../../base" };
        var files = new List<GeneratedFile>();
        void Add(string file, object value)
        {
            resources.Add(file);
            files.Add(Yaml($"{dir}/{file}", value));
        }

        Add("namespace.yaml", Namespace("aimi-dev"));
        foreach (var resource in model.Resources)
        {
            switch (resource)
            {
                case DeployedPostgres postgres:
                    Add($"{postgres.Name}-statefulset.yaml", PostgresStatefulSet(postgres));
                    Add($"{postgres.Name}-service.yaml", InfrastructureService(postgres.Name, Components.Database, ("postgres", PostgresPort)));
                    break;
                case DeployedRedis redis:
                    Add($"{redis.Name}-deployment.yaml", RedisDeployment(redis));
                    Add($"{redis.Name}-service.yaml", InfrastructureService(redis.Name, Components.Cache, ("redis", RedisPort)));
                    break;
                case DeployedRabbitMq rabbitMq:
                    Add($"{rabbitMq.Name}-statefulset.yaml", RabbitMqStatefulSet(rabbitMq));
                    Add($"{rabbitMq.Name}-service.yaml", InfrastructureService(rabbitMq.Name, Components.Broker, ("amqp", RabbitMqPort), ("management", RabbitMqManagementPort)));
                    break;
            }
        }

        var patches = new List<KustomizePatch>();
        foreach (var project in model.Projects)
        {
            var file = $"{project.Name}-deployment-patch.yaml";
            patches.Add(new KustomizePatch { Path = file });
            files.Add(Yaml($"{dir}/{file}", DeploymentPatch(project.Name, replicas: 1, Resources("50m", "192Mi", "500m", "512Mi"))));
        }

        var gateway = model.Projects.Where(p => p.IsGateway).Select(p => new KustomizeGenerator
        {
            Name = ConfigMapName(p.Name),
            Behavior = "merge",
            Literals = ["Auth__DevTokens=true"],
        });
        files.Insert(0, Yaml($"{dir}/kustomization.yaml", new Kustomization
        {
            Namespace = "aimi-dev",
            Resources = resources,
            ConfigMapGenerator =
            [
                new KustomizeGenerator { Name = SharedConfigName, Behavior = "merge", Literals = ["ASPNETCORE_ENVIRONMENT=Development"] },
                .. gateway,
            ],
            SecretGenerator = [new KustomizeGenerator { Name = SecretName, Envs = ["secrets.env"] }],
            Patches = patches,
            Images = Images(model),
        }));
        files.Add(new GeneratedFile($"{dir}/secrets.env.example", DevelopmentSecretsExample(model)));
        return files;
    }

    private static List<GeneratedFile> Production(DeploymentModel model)
    {
        const string dir = "overlays/production";
        var resources = new List<string> { "../../base" };
        var files = new List<GeneratedFile>();
        void Add(string file, object value)
        {
            resources.Add(file);
            files.Add(Yaml($"{dir}/{file}", value));
        }

        Add("namespace.yaml", Namespace("aimi"));
        var patches = new List<KustomizePatch>();
        foreach (var project in model.Projects)
        {
            Add($"{project.Name}-pdb.yaml", DisruptionBudget(project.Name));
            var file = $"{project.Name}-deployment-patch.yaml";
            patches.Add(new KustomizePatch { Path = file });
            files.Add(Yaml($"{dir}/{file}", DeploymentPatch(project.Name, replicas: 2, Resources("250m", "384Mi", "2", "1Gi"))));
        }

        var gateway = model.Projects.Where(p => p.IsGateway).Select(p => new KustomizeGenerator
        {
            Name = ConfigMapName(p.Name),
            Behavior = "merge",
            Literals = ["Auth__DevTokens=false"],
        });
        files.Insert(0, Yaml($"{dir}/kustomization.yaml", new Kustomization
        {
            Namespace = "aimi",
            Resources = resources,
            ConfigMapGenerator =
            [
                new KustomizeGenerator { Name = SharedConfigName, Behavior = "merge", Literals = ["ASPNETCORE_ENVIRONMENT=Production"], Envs = ["config.env"] },
                .. gateway,
            ],
            SecretGenerator = [new KustomizeGenerator { Name = SecretName, Envs = ["secrets.env"] }],
            Patches = patches,
            Images = Images(model),
        }));
        files.Add(new GeneratedFile($"{dir}/secrets.env.example", ProductionSecretsExample(model)));
        files.Add(new GeneratedFile($"{dir}/config.env.example", ProductionConfigExample()));
        return files;
    }

    private static V1ConfigMap SharedConfig() => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = Metadata(SharedConfigName, Components.Config),
        Data = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_HTTP_PORTS"] = ContainerPort.ToString(CultureInfo.InvariantCulture),
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://otel-collector:4317",
        },
    };

    /// <summary>The project's non-secret, Aspire-named settings: its OTel name and service discovery.</summary>
    public static IDictionary<string, string> ProjectSettings(DeployedProject project)
    {
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["OTEL_SERVICE_NAME"] = project.Name };
        foreach (var other in project.References.OfType<DeployedProjectReference>())
        {
            data[$"services__{other.Name}__http__0"] = $"http://{other.Name}:{ContainerPort}";
        }
        if (project.IsGateway)
        {
            data["Auth__DevTokens"] = "false";
        }
        return data;
    }

    /// <summary>The secret keys a project reads: connection strings of what it references and the (optional) signing key.</summary>
    public static IReadOnlyList<string> SecretKeys(DeployedProject project) =>
        [.. project.References.Where(r => r is DeployedDatabase or DeployedRedis or DeployedRabbitMq).Select(r => ConnectionStringKey(r.Name)), SigningKeySecretKey];

    private static V1ConfigMap ProjectConfig(DeployedProject project) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = Metadata(ConfigMapName(project.Name), Components.Config),
        Data = ProjectSettings(project),
    };

    private static V1Container ProjectContainer(DeployedProject project) => new()
    {
        Name = project.Name,
        Image = $"{Image(project.Name)}:latest",
        ImagePullPolicy = "IfNotPresent",
        EnvFrom =
        [
            new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = SharedConfigName } },
            new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = ConfigMapName(project.Name) } },
        ],
        Env = SecretKeys(project).Select(key => new V1EnvVar
        {
            Name = key,
            ValueFrom = new V1EnvVarSource
            {
                // Production may use an OpenID Connect authority (Auth__Authority) instead of a signing key.
                SecretKeyRef = new V1SecretKeySelector { Name = SecretName, Key = key, Optional = key == SigningKeySecretKey ? true : null },
            },
        }).ToList(),
        SecurityContext = new V1SecurityContext
        {
            AllowPrivilegeEscalation = false,
            RunAsNonRoot = true,
            // The non-root "app" user of Microsoft's .NET images (a numeric id lets the kubelet verify runAsNonRoot).
            RunAsUser = 1654,
            Capabilities = new V1Capabilities { Drop = ["ALL"] },
        },
    };

    private static V1Deployment Deployment(DeployedProject project)
    {
        var container = ProjectContainer(project);
        container.Ports = [new V1ContainerPort { Name = "http", ContainerPort = ContainerPort, Protocol = "TCP" }];
        container.Resources = Resources("100m", "256Mi", "1", "512Mi");
        container.StartupProbe = Probe("/alive", periodSeconds: 2, failureThreshold: 30);
        container.ReadinessProbe = Probe("/health", periodSeconds: 10, failureThreshold: 3);
        container.LivenessProbe = Probe("/alive", periodSeconds: 20, failureThreshold: 3);
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Metadata(project.Name, Components.Service),
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = Selector(project.Name) },
                Strategy = new V1DeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new V1RollingUpdateDeployment { MaxUnavailable = "0", MaxSurge = "1" },
                },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(project.Name, Components.Service) },
                    Spec = new V1PodSpec { Containers = [container], TerminationGracePeriodSeconds = 30 },
                },
            },
        };
    }

    private static V1Probe Probe(string path, int periodSeconds, int failureThreshold) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = path, Port = "http" },
        PeriodSeconds = periodSeconds,
        TimeoutSeconds = 5,
        FailureThreshold = failureThreshold,
    };

    private static V1Service Service(DeployedProject project) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(project.Name, Components.Service),
        Spec = new V1ServiceSpec
        {
            // Only the gateway is reachable from outside the cluster.
            Type = project.IsGateway ? "LoadBalancer" : "ClusterIP",
            Selector = Selector(project.Name),
            Ports = [new V1ServicePort { Name = "http", Port = project.IsGateway ? GatewayServicePort : ContainerPort, TargetPort = "http", Protocol = "TCP" }],
        },
    };

    private static V1Job MigrationJob(DeployedProject project)
    {
        var container = ProjectContainer(project);
        container.Args = [MigrateArgument];
        container.Resources = Resources("100m", "256Mi", "1", "512Mi");
        var name = MigrationJobName(project.Name);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Metadata(name, Components.Migration),
            Spec = new V1JobSpec
            {
                // Retries cover a database that is still starting; the finished Job is removed after a day so a later apply re-runs it.
                BackoffLimit = 10,
                ActiveDeadlineSeconds = 900,
                TtlSecondsAfterFinished = 86400,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(name, Components.Migration) },
                    Spec = new V1PodSpec { Containers = [container], RestartPolicy = "Never" },
                },
            },
        };
    }

    private static V1Deployment DeploymentPatch(string project, int replicas, V1ResourceRequirements resources) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = project },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec { Containers = [new V1Container { Name = project, Resources = resources }] },
            },
        },
    };

    private static V1PodDisruptionBudget DisruptionBudget(string project) => new()
    {
        ApiVersion = "policy/v1",
        Kind = "PodDisruptionBudget",
        Metadata = Metadata(project, Components.Service),
        Spec = new V1PodDisruptionBudgetSpec { MinAvailable = "1", Selector = new V1LabelSelector { MatchLabels = Selector(project) } },
    };

    private static V1Namespace Namespace(string name) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta { Name = name, Labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { [PartOfLabel] = PartOf } },
    };

    /// <summary>One pod with a data volume: the in-cluster infrastructure of the development overlay.</summary>
    private static V1StatefulSet SingleReplicaStatefulSet(string name, string component, string storage, V1Container container) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "StatefulSet",
        Metadata = Metadata(name, component),
        Spec = new V1StatefulSetSpec
        {
            ServiceName = name,
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = Selector(name) },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = Labels(name, component) },
                Spec = new V1PodSpec { Containers = [container] },
            },
            VolumeClaimTemplates = [Claim("data", storage)],
        },
    };

    private static V1StatefulSet PostgresStatefulSet(DeployedPostgres postgres) => SingleReplicaStatefulSet(postgres.Name, Components.Database, "5Gi", new V1Container
    {
        Name = postgres.Name,
        Image = postgres.Image,
        Env =
        [
            new V1EnvVar { Name = "POSTGRES_USER", Value = "postgres" },
            SecretEnv("POSTGRES_PASSWORD", PasswordParameter(postgres.Name)),
            // initdb refuses a volume root that holds lost+found.
            new V1EnvVar { Name = "PGDATA", Value = "/var/lib/postgresql/data/pgdata" },
        ],
        Ports = [new V1ContainerPort { Name = "postgres", ContainerPort = PostgresPort, Protocol = "TCP" }],
        ReadinessProbe = new V1Probe
        {
            Exec = new V1ExecAction { Command = ["pg_isready", "-U", "postgres", "-h", "127.0.0.1"] },
            PeriodSeconds = 5,
        },
        Resources = Resources("100m", "256Mi", "1", "1Gi"),
        VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/var/lib/postgresql/data" }],
    });

    private static V1Deployment RedisDeployment(DeployedRedis redis) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = Metadata(redis.Name, Components.Cache),
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = Selector(redis.Name) },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = Labels(redis.Name, Components.Cache) },
                Spec = new V1PodSpec
                {
                    Containers =
                    [
                        new V1Container
                        {
                            Name = redis.Name,
                            Image = redis.Image,
                            Command = ["redis-server"],
                            // A session cache: nothing is persisted, as in local development.
                            Args = ["--requirepass", "$(REDIS_PASSWORD)", "--save", "", "--appendonly", "no"],
                            Env = [SecretEnv("REDIS_PASSWORD", PasswordParameter(redis.Name))],
                            Ports = [new V1ContainerPort { Name = "redis", ContainerPort = RedisPort, Protocol = "TCP" }],
                            ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "redis" }, PeriodSeconds = 5 },
                            Resources = Resources("50m", "64Mi", "500m", "256Mi"),
                        },
                    ],
                },
            },
        },
    };

    private static V1StatefulSet RabbitMqStatefulSet(DeployedRabbitMq rabbitMq) => SingleReplicaStatefulSet(rabbitMq.Name, Components.Broker, "2Gi", new V1Container
    {
        Name = rabbitMq.Name,
        Image = rabbitMq.Image,
        Env =
        [
            new V1EnvVar { Name = "RABBITMQ_DEFAULT_USER", Value = RabbitMqUser },
            SecretEnv("RABBITMQ_DEFAULT_PASS", PasswordParameter(rabbitMq.Name)),
        ],
        Ports =
        [
            new V1ContainerPort { Name = "amqp", ContainerPort = RabbitMqPort, Protocol = "TCP" },
            new V1ContainerPort { Name = "management", ContainerPort = RabbitMqManagementPort, Protocol = "TCP" },
        ],
        // Port connectivity, not a ping: the node answers pings seconds before AMQP accepts connections.
        ReadinessProbe = new V1Probe
        {
            Exec = new V1ExecAction { Command = ["rabbitmq-diagnostics", "-q", "check_port_connectivity"] },
            PeriodSeconds = 10,
            TimeoutSeconds = 10,
        },
        Resources = Resources("100m", "256Mi", "1", "1Gi"),
        VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/var/lib/rabbitmq" }],
    });

    private static V1Service InfrastructureService(string name, string component, params (string Name, int Port)[] ports) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(name, component),
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            Selector = Selector(name),
            Ports = ports.Select(p => new V1ServicePort { Name = p.Name, Port = p.Port, TargetPort = p.Name, Protocol = "TCP" }).ToList(),
        },
    };

    private static V1PersistentVolumeClaim Claim(string name, string size) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) } },
        },
    };

    private static V1EnvVar SecretEnv(string name, string key) => new()
    {
        Name = name,
        ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = SecretName, Key = key } },
    };

    private static V1ResourceRequirements Resources(string cpuRequest, string memoryRequest, string cpuLimit, string memoryLimit) => new()
    {
        Requests = new SortedDictionary<string, ResourceQuantity>(StringComparer.Ordinal) { ["cpu"] = new(cpuRequest), ["memory"] = new(memoryRequest) },
        Limits = new SortedDictionary<string, ResourceQuantity>(StringComparer.Ordinal) { ["cpu"] = new(cpuLimit), ["memory"] = new(memoryLimit) },
    };

    private static List<KustomizeImage> Images(DeploymentModel model) =>
        model.Projects.Select(p => new KustomizeImage { Name = Image(p.Name), NewName = Image(p.Name), NewTag = "latest" }).ToList();

    private static V1ObjectMeta Metadata(string name, string component) => new() { Name = name, Labels = Labels(name, component) };

    private static SortedDictionary<string, string> Labels(string name, string component) => new(StringComparer.Ordinal)
    {
        [NameLabel] = name,
        [ComponentLabel] = component,
        [PartOfLabel] = PartOf,
    };

    private static SortedDictionary<string, string> Selector(string name) => new(StringComparer.Ordinal) { [NameLabel] = name };

    private static string DevelopmentSecretsExample(DeploymentModel model)
    {
        var text = new StringBuilder();
        text.Append("# Secrets of overlays/development. Copy to secrets.env (git-ignored) and replace every <placeholder>;\n");
        text.Append("# a placeholder that appears twice must get the same value twice (deploy/kubernetes/README.md has a one-line sed).\n");
        foreach (var server in model.Resources.Where(r => r is DeployedPostgres or DeployedRedis or DeployedRabbitMq))
        {
            text.Append(CultureInfo.InvariantCulture, $"{PasswordParameter(server.Name)}=<{PasswordParameter(server.Name)}>\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"{SigningKeySecretKey}=<signing-key>\n");
        foreach (var (key, value) in ConnectionStrings(model, inCluster: true))
        {
            text.Append(CultureInfo.InvariantCulture, $"{key}={value}\n");
        }
        return text.ToString();
    }

    private static string ProductionSecretsExample(DeploymentModel model)
    {
        var text = new StringBuilder();
        text.Append("# Secrets of overlays/production: connection strings of the external PostgreSQL (with pgvector), Redis and RabbitMQ.\n");
        text.Append("# Copy to secrets.env (git-ignored) and fill in. Auth__SigningKey is only for symmetric tokens: drop the line when\n");
        text.Append("# tokens come from an OpenID Connect provider (Auth__Authority in config.env).\n");
        text.Append(CultureInfo.InvariantCulture, $"{SigningKeySecretKey}=<signing-key>\n");
        foreach (var (key, value) in ConnectionStrings(model, inCluster: false))
        {
            text.Append(CultureInfo.InvariantCulture, $"{key}={value}\n");
        }
        return text.ToString();
    }

    private static string ProductionConfigExample() =>
        "# Non-secret settings of overlays/production, merged into the aimi-config ConfigMap. Copy to config.env (git-ignored) and edit.\n" +
        "Auth__Authority=https://<identity-provider>/<realm>\n" +
        "Auth__Audience=aimi\n" +
        "OTEL_EXPORTER_OTLP_ENDPOINT=http://<otel-collector>:4317\n";

    /// <summary>The connection-string secret keys every referenced resource needs, with placeholder values.</summary>
    private static IEnumerable<(string Key, string Value)> ConnectionStrings(DeploymentModel model, bool inCluster)
    {
        var referenced = model.Projects.SelectMany(p => p.References).Select(r => r.Name).ToHashSet();
        foreach (var resource in model.Resources.Where(r => referenced.Contains(r.Name)))
        {
            var value = resource switch
            {
                DeployedDatabase db when inCluster =>
                    $"Host={db.Server.Name};Port={PostgresPort};Username=postgres;Password=<{PasswordParameter(db.Server.Name)}>;Database={db.Name}",
                DeployedDatabase db => $"Host=<postgres-host>;Port=5432;Username=<user>;Password=<password>;Database={db.Name};SSL Mode=Require",
                DeployedRedis redis when inCluster => $"{redis.Name}:{RedisPort},password=<{PasswordParameter(redis.Name)}>",
                DeployedRedis => "<redis-host>:6380,password=<password>,ssl=true",
                DeployedRabbitMq rabbitMq when inCluster => $"amqp://{RabbitMqUser}:<{PasswordParameter(rabbitMq.Name)}>@{rabbitMq.Name}:{RabbitMqPort}",
                DeployedRabbitMq => "amqp://<user>:<password>@<rabbitmq-host>:5672/<vhost>",
                _ => null,
            };
            if (value is not null)
            {
                yield return (ConnectionStringKey(resource.Name), value);
            }
        }
    }

    private static GeneratedFile Yaml(string path, object value) => new(path, KubernetesYaml.Serialize(value).ReplaceLineEndings("\n").TrimEnd('\n') + "\n");
}
