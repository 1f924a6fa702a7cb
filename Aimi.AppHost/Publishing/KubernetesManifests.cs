using System.Globalization;
using System.Text;
using Aimi.ServiceDefaults;
using k8s;
using k8s.Models;

namespace Aimi.AppHost.Publishing;

/// <summary>A file <c>publish</c> writes: a path relative to the output folder (forward slashes) and its exact content.</summary>
public sealed record GeneratedFile(string Path, string Content);

/// <summary>
/// The Aspire model (publish mode, read through <see cref="DeploymentModel"/>) as kustomize manifests: <c>base/</c> (per project a
/// ConfigMap, Deployment, Service and NetworkPolicy and, when it owns a database, a migration Job; a default-deny policy) and
/// <c>overlays/development</c> (in-cluster PostgreSQL+pgvector, Redis, RabbitMQ; development tokens; reached by port-forward) and
/// <c>overlays/production</c> (external infrastructure, a TLS Ingress in front of the gateway, more replicas, disruption budgets).
/// Every object is a typed KubernetesClient model; secrets are never written: each workload's Secret is generated from a
/// git-ignored <c>secrets/&lt;name&gt;.env</c>.
/// </summary>
public static partial class KubernetesManifests
{
    public const int ContainerPort = 8080;
    public const int GatewayServicePort = 80;
    public const int PostgresPort = 5432;
    public const int RedisPort = 6379;
    public const int RabbitMqPort = 5672;
    public const int RabbitMqManagementPort = 15672;

    public const string SharedConfigName = "aimi-config";
    public const string InfrastructureSecretName = "aimi-infrastructure";
    public const string SigningKeySecretKey = "Auth__SigningKey";
    public const string MigrateArgument = "--migrate";
    public const string RabbitMqUser = "aimi";
    public const string ImagePrefix = "aimi/";

    /// <summary>The non-root "app" user of Microsoft's .NET images (a numeric id lets the kubelet verify runAsNonRoot).</summary>
    public const long AppUserId = 1654;
    public const string TmpVolume = "tmp";

    public const string DevelopmentNamespace = "aimi-dev";
    public const string ProductionNamespace = "aimi";
    public const string DefaultDenyPolicy = "default-deny-ingress";

    /// <summary>The production Ingress: its TLS secret (cert-manager writes the certificate there) and where its settings come from.</summary>
    public const string TlsSecretName = "aimi-tls";
    public const string IngressSettingsName = "ingress-settings";
    public const string ClusterIssuerAnnotation = "cert-manager.io/cluster-issuer";
    public const string NamespaceNameLabel = "kubernetes.io/metadata.name";

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
        public const string Network = "network";
    }

    /// <summary>The operator's files in an overlay, each from the <c>.example</c> generated beside it; git-ignored.</summary>
    public static class OperatorFiles
    {
        public const string SharedConfig = "config.env";
        public const string GatewayConfig = "gateway.env";
        public const string WebConfig = "web.env";
        public const string Ingress = "ingress.env";
        public const string Egress = "egress.env";

        public static string Secrets(string workload) => $"secrets/{workload}.env";
    }

    /// <summary>The keys of <see cref="OperatorFiles.Ingress"/>: kustomize replaces them into the Ingress and the gateway's NetworkPolicy.</summary>
    public static class IngressSettings
    {
        public const string Host = "host";
        public const string ClusterIssuer = "cluster-issuer";
        public const string IngressClass = "ingress-class";
        public const string ControllerNamespace = "ingress-namespace";
    }

    public static string Image(string project) => $"{ImagePrefix}{project}";

    public static string ConfigMapName(string project) => $"{project}-env";

    public static string SecretName(string workload) => $"{workload}-secrets";

    public static string MigrationJobName(string project) => $"{project}-migrate";

    public static string ConnectionStringKey(string resource) => $"ConnectionStrings__{resource}";

    /// <summary>
    /// The secret key of a password: for a server the name of the parameter Aspire generates for it (<c>postgres-password</c>),
    /// for a database the password of the role that owns it (<c>goalsdb-password</c>).
    /// </summary>
    public static string PasswordParameter(string resource) => $"{resource}-password";

    public static IReadOnlyList<GeneratedFile> Generate(DeploymentModel model)
    {
        var files = new List<GeneratedFile>();
        files.AddRange(Base(model));
        files.AddRange(Development(model));
        files.AddRange(Production(model));
        files.Add(new GeneratedFile(".gitignore",
            "# Filled in by the operator from the *.example files beside them; never committed.\noverlays/*/*.env\noverlays/*/secrets/*.env\n"));
        return files;
    }

    /// <summary>Databases a project migrates with its <c>--migrate</c> job: the ones it references.</summary>
    public static IReadOnlyList<DeployedDatabase> OwnedDatabases(DeployedProject project) =>
        project.References.OfType<DeployedDatabase>().ToList();

    /// <summary>The projects that call <paramref name="project"/> (reference it), so its NetworkPolicy admits them and no one else.</summary>
    public static IReadOnlyList<DeployedProject> Callers(DeploymentModel model, DeployedProject project) =>
        model.Projects.Where(p => p.References.OfType<DeployedProjectReference>().Any(r => r.Name == project.Name)).ToList();

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
        Add($"{DefaultDenyPolicy}-networkpolicy.yaml", DefaultDeny());
        foreach (var (file, policy) in BaseEgressPolicies(model))
        {
            Add(file, policy);
        }
        foreach (var project in model.Projects)
        {
            Add($"{project.Name}-configmap.yaml", ProjectConfig(project));
            Add($"{project.Name}-deployment.yaml", Deployment(project));
            Add($"{project.Name}-service.yaml", Service(project));
            var callers = Callers(model, project);
            if (callers.Count > 0)
            {
                Add($"{project.Name}-networkpolicy.yaml",
                    IngressPolicy(project.Name, ContainerPort, callers.Select(c => Peer(c.Name)).ToList()));
            }
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

        // The upstream images of PostgreSQL and RabbitMQ start as root to prepare their data folders: baseline is enforced here.
        Add("namespace.yaml", Namespace(DevelopmentNamespace, enforce: "baseline"));
        foreach (var resource in model.Resources)
        {
            switch (resource)
            {
                case DeployedPostgres postgres:
                    Add($"{postgres.Name}-init-configmap.yaml", PostgresInit(model, postgres));
                    Add($"{postgres.Name}-statefulset.yaml", PostgresStatefulSet(model, postgres));
                    Add($"{postgres.Name}-service.yaml", InfrastructureService(postgres.Name, Components.Database, ("postgres", PostgresPort)));
                    Add($"{postgres.Name}-networkpolicy.yaml", IngressPolicy(postgres.Name, PostgresPort, PostgresClients(model, postgres)));
                    break;
                case DeployedRedis redis:
                    Add($"{redis.Name}-deployment.yaml", RedisDeployment(redis));
                    Add($"{redis.Name}-service.yaml", InfrastructureService(redis.Name, Components.Cache, ("redis", RedisPort)));
                    Add($"{redis.Name}-networkpolicy.yaml", IngressPolicy(redis.Name, RedisPort, ReferencingPeers(model, redis)));
                    break;
                case DeployedRabbitMq rabbitMq:
                    Add($"{rabbitMq.Name}-users-configmap.yaml", BrokerUsers(model, rabbitMq));
                    Add($"{rabbitMq.Name}-statefulset.yaml", RabbitMqStatefulSet(model, rabbitMq));
                    Add($"{rabbitMq.Name}-service.yaml", InfrastructureService(rabbitMq.Name, Components.Broker, ("amqp", RabbitMqPort), ("management", RabbitMqManagementPort)));
                    Add($"{rabbitMq.Name}-networkpolicy.yaml", IngressPolicy(rabbitMq.Name, RabbitMqPort, ReferencingPeers(model, rabbitMq)));
                    break;
            }
        }

        foreach (var (file, policy) in DevelopmentEgressPolicies(model))
        {
            Add(file, policy);
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
            Namespace = DevelopmentNamespace,
            Resources = resources,
            ConfigMapGenerator =
            [
                new KustomizeGenerator { Name = SharedConfigName, Behavior = "merge", Literals = ["ASPNETCORE_ENVIRONMENT=Development"] },
                .. gateway,
            ],
            SecretGenerator =
            [
                new KustomizeGenerator { Name = InfrastructureSecretName, Envs = [OperatorFiles.Secrets("infrastructure")] },
                .. SecretGenerators(model),
            ],
            Patches = patches,
            Images = Images(model),
        }));
        files.Add(new GeneratedFile($"{dir}/{OperatorFiles.Secrets("infrastructure")}.example", DevelopmentInfrastructureExample(model)));
        files.AddRange(model.Projects.Where(p => SecretKeys(p).Count > 0)
            .Select(p => new GeneratedFile($"{dir}/{OperatorFiles.Secrets(p.Name)}.example", SecretsExample(p, inCluster: true))));
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

        Add("namespace.yaml", Namespace(ProductionNamespace, enforce: "restricted"));
        var patches = new List<KustomizePatch>();
        foreach (var project in model.Projects)
        {
            Add($"{project.Name}-pdb.yaml", DisruptionBudget(project.Name));
            var file = $"{project.Name}-deployment-patch.yaml";
            patches.Add(new KustomizePatch { Path = file });
            files.Add(Yaml($"{dir}/{file}", DeploymentPatch(project.Name, replicas: 2, Resources("250m", "384Mi", "2", "1Gi"))));
        }

        var gateway = model.Projects.Single(p => p.IsGateway);
        Add($"{gateway.Name}-ingress.yaml", Ingress(gateway.Name));
        Add($"{gateway.Name}-networkpolicy.yaml", IngressPolicy(gateway.Name, ContainerPort,
            [new V1NetworkPolicyPeer { NamespaceSelector = new V1LabelSelector { MatchLabels = Map((NamespaceNameLabel, Placeholder(IngressSettings.ControllerNamespace))) } }]));
        foreach (var (file, policy) in ProductionEgressPolicies(model))
        {
            Add(file, policy);
        }

        var web = model.Projects.Where(p => p.Name == ResourceNames.Web).Select(p => new KustomizeGenerator
        {
            Name = ConfigMapName(p.Name),
            Behavior = "merge",
            Envs = [OperatorFiles.WebConfig],
        }).ToList();
        files.Insert(0, Yaml($"{dir}/kustomization.yaml", new Kustomization
        {
            Namespace = ProductionNamespace,
            Resources = resources,
            ConfigMapGenerator =
            [
                new KustomizeGenerator { Name = SharedConfigName, Behavior = "merge", Literals = ["ASPNETCORE_ENVIRONMENT=Production"], Envs = [OperatorFiles.SharedConfig] },
                new KustomizeGenerator { Name = ConfigMapName(gateway.Name), Behavior = "merge", Literals = ["Auth__DevTokens=false"], Envs = [OperatorFiles.GatewayConfig] },
                .. web,
                // Read by the replacements below only: kustomize does not emit a local-config object.
                new KustomizeGenerator
                {
                    Name = IngressSettingsName,
                    Envs = [OperatorFiles.Ingress],
                    Options = new KustomizeGeneratorOptions { Annotations = new Dictionary<string, string> { ["config.kubernetes.io/local-config"] = "true" } },
                },
                new KustomizeGenerator
                {
                    Name = EgressSettingsName,
                    Envs = [OperatorFiles.Egress],
                    Options = new KustomizeGeneratorOptions { Annotations = new Dictionary<string, string> { ["config.kubernetes.io/local-config"] = "true" } },
                },
            ],
            SecretGenerator = [.. SecretGenerators(model)],
            Replacements = [.. IngressReplacements(gateway.Name), .. EgressReplacements(model)],
            Patches = patches,
            Images = Images(model),
        }));
        files.AddRange(model.Projects.Where(p => SecretKeys(p).Count > 0)
            .Select(p => new GeneratedFile($"{dir}/{OperatorFiles.Secrets(p.Name)}.example", SecretsExample(p, inCluster: false))));
        files.Add(new GeneratedFile($"{dir}/{OperatorFiles.SharedConfig}.example", ProductionConfigExample()));
        files.Add(new GeneratedFile($"{dir}/{OperatorFiles.GatewayConfig}.example", ProductionGatewayExample()));
        if (web.Count > 0)
        {
            files.Add(new GeneratedFile($"{dir}/{OperatorFiles.WebConfig}.example", ProductionWebExample()));
        }
        files.Add(new GeneratedFile($"{dir}/{OperatorFiles.Ingress}.example", ProductionIngressExample()));
        files.Add(new GeneratedFile($"{dir}/{OperatorFiles.Egress}.example", ProductionEgressExample(model)));
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

    /// <summary>The project's non-secret, Aspire-named settings: its OTel name, service discovery and the runtime's socket switch.</summary>
    public static IDictionary<string, string> ProjectSettings(DeployedProject project)
    {
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["OTEL_SERVICE_NAME"] = project.Name,
            [AimiResources.InlineSocketCompletions] = project.InlineSocketCompletions ? "1" : "0",
        };
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

    /// <summary>The connection strings of what a project references: its database, Redis, RabbitMQ.</summary>
    public static IReadOnlyList<string> ConnectionStringKeys(DeployedProject project) =>
        [.. project.References.Where(r => r is DeployedDatabase or DeployedRedis or DeployedRabbitMq).Select(r => ConnectionStringKey(r.Name))];

    /// <summary>The keys of a project's own Secret: its connection strings and, when it validates tokens, the (optional) signing key.</summary>
    public static IReadOnlyList<string> SecretKeys(DeployedProject project) =>
        [.. ConnectionStringKeys(project), .. project.ValidatesTokens ? [SigningKeySecretKey] : Array.Empty<string>()];

    private static IEnumerable<KustomizeGenerator> SecretGenerators(DeploymentModel model) =>
        model.Projects.Where(p => SecretKeys(p).Count > 0)
            .Select(p => new KustomizeGenerator { Name = SecretName(p.Name), Envs = [OperatorFiles.Secrets(p.Name)] });

    private static V1ConfigMap ProjectConfig(DeployedProject project) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = Metadata(ConfigMapName(project.Name), Components.Config),
        Data = ProjectSettings(project),
    };

    /// <summary>A project's container: its settings, the given keys of its own Secret, a read-only root with a writable /tmp.</summary>
    private static V1Container ProjectContainer(DeployedProject project, IReadOnlyList<string> secretKeys) => new()
    {
        Name = project.Name,
        Image = $"{Image(project.Name)}:latest",
        ImagePullPolicy = "IfNotPresent",
        EnvFrom =
        [
            new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = SharedConfigName } },
            new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = ConfigMapName(project.Name) } },
        ],
        Env = secretKeys.Count == 0 ? null : secretKeys.Select(key => new V1EnvVar
        {
            Name = key,
            ValueFrom = new V1EnvVarSource
            {
                // Production may use an OpenID Connect authority (Auth__Authority) instead of a signing key.
                SecretKeyRef = new V1SecretKeySelector { Name = SecretName(project.Name), Key = key, Optional = key == SigningKeySecretKey ? true : null },
            },
        }).ToList(),
        SecurityContext = new V1SecurityContext
        {
            AllowPrivilegeEscalation = false,
            ReadOnlyRootFilesystem = true,
            RunAsNonRoot = true,
            RunAsUser = AppUserId,
            Capabilities = new V1Capabilities { Drop = ["ALL"] },
        },
        // .NET's diagnostics socket and temporary files.
        VolumeMounts = [new V1VolumeMount { Name = TmpVolume, MountPath = "/tmp" }],
    };

    /// <summary>A pod of the restricted Pod Security Standard: non-root, RuntimeDefault seccomp, no service-account token (nothing here calls the API server).</summary>
    private static V1PodSpec ProjectPod(V1Container container) => new()
    {
        AutomountServiceAccountToken = false,
        SecurityContext = new V1PodSecurityContext
        {
            RunAsNonRoot = true,
            RunAsUser = AppUserId,
            RunAsGroup = AppUserId,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        },
        Containers = [container],
        Volumes = [new V1Volume { Name = TmpVolume, EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("256Mi") } }],
    };

    private static V1Deployment Deployment(DeployedProject project)
    {
        var container = ProjectContainer(project, SecretKeys(project));
        container.Ports = [new V1ContainerPort { Name = "http", ContainerPort = ContainerPort, Protocol = "TCP" }];
        container.Resources = Resources("100m", "256Mi", "1", "512Mi");
        container.StartupProbe = Probe("/alive", periodSeconds: 2, failureThreshold: 30);
        container.ReadinessProbe = Probe("/health", periodSeconds: 10, failureThreshold: 3);
        container.LivenessProbe = Probe("/alive", periodSeconds: 20, failureThreshold: 3);
        var pod = ProjectPod(container);
        pod.TerminationGracePeriodSeconds = 30;
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
                    Spec = pod,
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
            // No public address of its own: production reaches the gateway through the TLS Ingress, development by port-forward.
            Type = "ClusterIP",
            Selector = Selector(project.Name),
            Ports = [new V1ServicePort { Name = "http", Port = project.IsGateway ? GatewayServicePort : ContainerPort, TargetPort = "http", Protocol = "TCP" }],
        },
    };

    private static V1Job MigrationJob(DeployedProject project)
    {
        // The database and the broker's connection strings (the host is built before it migrates and exits); no signing key.
        var container = ProjectContainer(project, ConnectionStringKeys(project));
        container.Args = [MigrateArgument];
        container.Resources = Resources("100m", "256Mi", "1", "512Mi");
        var pod = ProjectPod(container);
        pod.RestartPolicy = "Never";
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
                    Spec = pod,
                },
            },
        };
    }

    /// <summary>Every pod of the namespace admits nothing unless a policy below names who may reach it.</summary>
    private static V1NetworkPolicy DefaultDeny() => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = Metadata(DefaultDenyPolicy, Components.Network),
        Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector(), PolicyTypes = ["Ingress"] },
    };

    /// <summary>The pods named <paramref name="target"/> admit <paramref name="peers"/> on <paramref name="port"/> and nothing else.</summary>
    private static V1NetworkPolicy IngressPolicy(string target, int port, IList<V1NetworkPolicyPeer> peers) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = Metadata(target, Components.Network),
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = Selector(target) },
            PolicyTypes = ["Ingress"],
            Ingress = [new V1NetworkPolicyIngressRule { FromProperty = peers, Ports = [new V1NetworkPolicyPort { Port = port, Protocol = "TCP" }] }],
        },
    };

    private static V1NetworkPolicyPeer Peer(string name) => new() { PodSelector = new V1LabelSelector { MatchLabels = Selector(name) } };

    private static List<V1NetworkPolicyPeer> ReferencingPeers(DeploymentModel model, Deployed resource) =>
        model.Projects.Where(p => p.References.Any(r => r.Name == resource.Name)).Select(p => Peer(p.Name)).ToList();

    /// <summary>The PostgreSQL server admits the services owning one of its databases and their migration jobs.</summary>
    private static List<V1NetworkPolicyPeer> PostgresClients(DeploymentModel model, DeployedPostgres postgres) =>
        model.Projects.Where(p => OwnedDatabases(p).Any(d => d.Server == postgres))
            .SelectMany(p => new[] { Peer(p.Name), Peer(MigrationJobName(p.Name)) })
            .ToList();

    /// <summary>
    /// TLS at the ingress controller (ingress-nginx annotations): HTTP is redirected to HTTPS, the certificate comes from
    /// cert-manager's ClusterIssuer into <see cref="TlsSecretName"/>. Host, issuer and class are placeholders that the overlay's
    /// replacements fill from <c>ingress.env</c>; the gateway adds Strict-Transport-Security.
    /// </summary>
    private static V1Ingress Ingress(string gateway)
    {
        var metadata = Metadata(gateway, Components.Service);
        metadata.Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ClusterIssuerAnnotation] = Placeholder(IngressSettings.ClusterIssuer),
            ["nginx.ingress.kubernetes.io/force-ssl-redirect"] = "true",
            // The gateway's own limits decide (2 MiB for a transcript import); nginx's default of 1 MiB would answer first.
            ["nginx.ingress.kubernetes.io/proxy-body-size"] = "4m",
            // /ws/chat stays open between messages; nginx's default would cut an idle socket after 60 s.
            ["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "3600",
            ["nginx.ingress.kubernetes.io/proxy-send-timeout"] = "3600",
        };
        var host = Placeholder(IngressSettings.Host);
        return new V1Ingress
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "Ingress",
            Metadata = metadata,
            Spec = new V1IngressSpec
            {
                IngressClassName = Placeholder(IngressSettings.IngressClass),
                Tls = [new V1IngressTLS { Hosts = [host], SecretName = TlsSecretName }],
                Rules =
                [
                    new V1IngressRule
                    {
                        Host = host,
                        Http = new V1HTTPIngressRuleValue
                        {
                            Paths =
                            [
                                new V1HTTPIngressPath
                                {
                                    Path = "/",
                                    PathType = "Prefix",
                                    Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = gateway, Port = new V1ServiceBackendPort { Name = "http" } } },
                                },
                            ],
                        },
                    },
                ],
            },
        };
    }

    private static List<KustomizeReplacement> IngressReplacements(string gateway)
    {
        KustomizeReplacement Replace(string key, string kind, params string[] fieldPaths) => new()
        {
            Source = new KustomizeReplacementSource { Kind = "ConfigMap", Name = IngressSettingsName, FieldPath = $"data.{key}" },
            Targets = [new KustomizeReplacementTarget { Select = new KustomizeSelector { Kind = kind, Name = gateway }, FieldPaths = fieldPaths }],
        };
        return
        [
            Replace(IngressSettings.Host, "Ingress", "spec.rules.0.host", "spec.tls.0.hosts.0"),
            Replace(IngressSettings.ClusterIssuer, "Ingress", $"metadata.annotations.[{ClusterIssuerAnnotation}]"),
            Replace(IngressSettings.IngressClass, "Ingress", "spec.ingressClassName"),
            Replace(IngressSettings.ControllerNamespace, "NetworkPolicy", $"spec.ingress.0.from.0.namespaceSelector.matchLabels.[{NamespaceNameLabel}]"),
        ];
    }

    private static string Placeholder(string key) => $"<{key}>";

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

    /// <summary>The namespace with Pod Security Admission: <paramref name="enforce"/>d, and warnings and audit entries against restricted.</summary>
    private static V1Namespace Namespace(string name, string enforce) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                [PartOfLabel] = PartOf,
                ["pod-security.kubernetes.io/enforce"] = enforce,
                ["pod-security.kubernetes.io/enforce-version"] = "latest",
                ["pod-security.kubernetes.io/audit"] = "restricted",
                ["pod-security.kubernetes.io/warn"] = "restricted",
            },
        },
    };

    /// <summary>One pod with a data volume: the in-cluster infrastructure of the development overlay.</summary>
    private static V1StatefulSet SingleReplicaStatefulSet(string name, string component, string storage, V1Container container, IList<V1Volume>? volumes = null) => new()
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
                Spec = InfrastructurePod(container, volumes),
            },
            VolumeClaimTemplates = [Claim("data", storage)],
        },
    };

    private static V1PodSpec InfrastructurePod(V1Container container, IList<V1Volume>? volumes = null) => new()
    {
        AutomountServiceAccountToken = false,
        SecurityContext = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } },
        Containers = [container],
        Volumes = volumes,
    };

    /// <summary>The environment variable that hands a database owner's password to the init script (<c>GOALSDB_PASSWORD</c>).</summary>
    private static string RolePasswordVariable(DeployedDatabase database) => $"{database.Name.ToUpperInvariant().Replace('-', '_')}_PASSWORD";

    private static IEnumerable<(DeployedProject Owner, DeployedDatabase Database)> DatabaseOwners(DeploymentModel model, DeployedPostgres postgres) =>
        model.Projects.SelectMany(p => OwnedDatabases(p).Where(d => d.Server == postgres).Select(d => (p, d)));

    /// <summary>
    /// A role per service that owns its database and may connect to no other (run by the image's entrypoint when the volume is
    /// new). pgvector is not a trusted extension, so the superuser creates it in each database here; the owner's migration then
    /// finds it (btree_gin, the other extension Memory uses, is trusted).
    /// </summary>
    private static V1ConfigMap PostgresInit(DeploymentModel model, DeployedPostgres postgres)
    {
        var script = new StringBuilder();
        script.Append("#!/bin/sh\n");
        script.Append("# One login role per service, owning its database; runs once, when the data volume is initialised.\n");
        script.Append("set -eu\n");
        script.Append("create() {\n");
        script.Append("  psql -v ON_ERROR_STOP=1 --username \"$POSTGRES_USER\" --dbname postgres --set=role=\"$1\" --set=database=\"$2\" --set=secret=\"$3\" <<'SQL'\n");
        script.Append("CREATE ROLE :\"role\" LOGIN PASSWORD :'secret';\n");
        script.Append("CREATE DATABASE :\"database\" OWNER :\"role\";\n");
        script.Append("REVOKE CONNECT, TEMPORARY ON DATABASE :\"database\" FROM PUBLIC;\n");
        script.Append("\\connect :\"database\"\n");
        script.Append("CREATE EXTENSION IF NOT EXISTS vector;\n");
        script.Append("SQL\n");
        script.Append("}\n");
        foreach (var (owner, database) in DatabaseOwners(model, postgres))
        {
            script.Append(CultureInfo.InvariantCulture, $"create {owner.Name} {database.Name} \"${RolePasswordVariable(database)}\"\n");
        }
        return new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = Metadata($"{postgres.Name}-init", Components.Database),
            Data = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["10-service-roles.sh"] = script.ToString() },
        };
    }

    private static V1StatefulSet PostgresStatefulSet(DeploymentModel model, DeployedPostgres postgres) => SingleReplicaStatefulSet(postgres.Name, Components.Database, "5Gi", new V1Container
    {
        Name = postgres.Name,
        Image = postgres.Image,
        Env =
        [
            new V1EnvVar { Name = "POSTGRES_USER", Value = "postgres" },
            InfrastructureSecretEnv("POSTGRES_PASSWORD", PasswordParameter(postgres.Name)),
            // initdb refuses a volume root that holds lost+found.
            new V1EnvVar { Name = "PGDATA", Value = "/var/lib/postgresql/data/pgdata" },
            .. DatabaseOwners(model, postgres).Select(o => InfrastructureSecretEnv(RolePasswordVariable(o.Database), PasswordParameter(o.Database.Name))),
        ],
        Ports = [new V1ContainerPort { Name = "postgres", ContainerPort = PostgresPort, Protocol = "TCP" }],
        ReadinessProbe = new V1Probe
        {
            Exec = new V1ExecAction { Command = ["pg_isready", "-U", "postgres", "-h", "127.0.0.1"] },
            PeriodSeconds = 5,
        },
        Resources = Resources("100m", "256Mi", "1", "1Gi"),
        VolumeMounts =
        [
            new V1VolumeMount { Name = "data", MountPath = "/var/lib/postgresql/data" },
            new V1VolumeMount { Name = "init", MountPath = "/docker-entrypoint-initdb.d", ReadOnlyProperty = true },
        ],
    },
    // Executable (0555), so the entrypoint runs the script instead of sourcing it.
    [new V1Volume { Name = "init", ConfigMap = new V1ConfigMapVolumeSource { Name = $"{postgres.Name}-init", DefaultMode = 365 } }]);

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
                Spec = InfrastructurePod(new V1Container
                {
                    Name = redis.Name,
                    Image = redis.Image,
                    Command = ["redis-server"],
                    // A session cache: nothing is persisted, as in local development.
                    Args = ["--requirepass", "$(REDIS_PASSWORD)", "--save", "", "--appendonly", "no"],
                    Env = [InfrastructureSecretEnv("REDIS_PASSWORD", PasswordParameter(redis.Name))],
                    Ports = [new V1ContainerPort { Name = "redis", ContainerPort = RedisPort, Protocol = "TCP" }],
                    ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "redis" }, PeriodSeconds = 5 },
                    Resources = Resources("50m", "64Mi", "500m", "256Mi"),
                }),
            },
        },
    };

    private static V1StatefulSet RabbitMqStatefulSet(DeploymentModel model, DeployedRabbitMq rabbitMq)
    {
        var container = new V1Container
        {
            Name = rabbitMq.Name,
            Image = rabbitMq.Image,
            Env =
            [
                new V1EnvVar { Name = "RABBITMQ_DEFAULT_USER", Value = RabbitMqUser },
                InfrastructureSecretEnv("RABBITMQ_DEFAULT_PASS", PasswordParameter(rabbitMq.Name)),
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
        };
        // The default user is the operator's (the management UI); each service signs in as its own.
        return SingleReplicaStatefulSet(rabbitMq.Name, Components.Broker, "2Gi", container, [AddBrokerUsers(model, rabbitMq, container)]);
    }

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

    private static V1EnvVar InfrastructureSecretEnv(string name, string key) => new()
    {
        Name = name,
        ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = InfrastructureSecretName, Key = key } },
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

    private static SortedDictionary<string, string> Selector(string name) => Map((NameLabel, name));

    private static SortedDictionary<string, string> Map(params (string Key, string Value)[] pairs)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            map[key] = value;
        }
        return map;
    }

    private static string DevelopmentInfrastructureExample(DeploymentModel model)
    {
        var text = new StringBuilder();
        text.Append("# Passwords of overlays/development's in-cluster servers (the Secret aimi-infrastructure) and of each service's database\n");
        text.Append("# role. Copy every secrets/*.env.example to secrets/*.env (git-ignored) and replace each <placeholder>: one placeholder,\n");
        text.Append("# one value across the files (deploy/kubernetes/README.md has a loop that does it).\n");
        foreach (var server in model.Resources.Where(r => r is DeployedPostgres or DeployedRedis or DeployedRabbitMq))
        {
            text.Append(CultureInfo.InvariantCulture, $"{PasswordParameter(server.Name)}=<{PasswordParameter(server.Name)}>\n");
        }
        foreach (var database in model.Projects.SelectMany(OwnedDatabases))
        {
            text.Append(CultureInfo.InvariantCulture, $"{PasswordParameter(database.Name)}=<{PasswordParameter(database.Name)}>\n");
        }
        foreach (var rabbitMq in model.Resources.OfType<DeployedRabbitMq>())
        {
            foreach (var project in BrokerClients(model, rabbitMq))
            {
                text.Append(CultureInfo.InvariantCulture, $"{BrokerPasswordParameter(project, rabbitMq)}=<{BrokerPasswordParameter(project, rabbitMq)}>\n");
            }
        }
        return text.ToString();
    }

    /// <summary>A project's own secrets: its database role, its broker and cache credentials, and the signing key when it validates tokens.</summary>
    private static string SecretsExample(DeployedProject project, bool inCluster)
    {
        var text = new StringBuilder();
        if (inCluster)
        {
            text.Append(CultureInfo.InvariantCulture, $"# {project.Name}'s own Secret ({SecretName(project.Name)}) in overlays/development. Copy to secrets/{project.Name}.env (git-ignored)\n");
            text.Append("# with the same values as the placeholders of secrets/infrastructure.env.\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"# {project.Name}'s own Secret ({SecretName(project.Name)}) in overlays/production. Copy to secrets/{project.Name}.env (git-ignored)\n");
            text.Append("# and fill in.");
            if (ConnectionStringKeys(project).Count > 0)
            {
                text.Append(" The credentials belong to this service alone: a PostgreSQL role that owns its database and\n");
                text.Append("# nothing else, a RabbitMQ user of its own.");
            }
            text.Append('\n');
        }
        if (project.ValidatesTokens)
        {
            if (inCluster)
            {
                text.Append(CultureInfo.InvariantCulture, $"{SigningKeySecretKey}=<signing-key>\n");
            }
            else
            {
                text.Append("# Only for symmetric tokens without Auth__Authority (config.env); with both set the service refuses to start.\n");
                text.Append(CultureInfo.InvariantCulture, $"# {SigningKeySecretKey}=<signing-key>\n");
            }
        }
        foreach (var resource in project.References)
        {
            var value = resource switch
            {
                DeployedDatabase db when inCluster =>
                    $"Host={db.Server.Name};Port={PostgresPort};Username={project.Name};Password=<{PasswordParameter(db.Name)}>;Database={db.Name}",
                DeployedDatabase db =>
                    $"Host=<postgres-host>;Port=5432;Username={project.Name};Password=<{PasswordParameter(db.Name)}>;Database={db.Name};SSL Mode=Require",
                DeployedRedis redis when inCluster => $"{redis.Name}:{RedisPort},password=<{PasswordParameter(redis.Name)}>",
                DeployedRedis => $"<redis-host>:6380,password=<{project.Name}-redis-password>,ssl=true",
                DeployedRabbitMq rabbitMq when inCluster =>
                    $"amqp://{BrokerUser(project)}:<{BrokerPasswordParameter(project, rabbitMq)}>@{rabbitMq.Name}:{RabbitMqPort}",
                DeployedRabbitMq rabbitMq => $"amqp://{BrokerUser(project)}:<{BrokerPasswordParameter(project, rabbitMq)}>@<rabbitmq-host>:5672/<vhost>",
                _ => null,
            };
            if (value is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"{ConnectionStringKey(resource.Name)}={value}\n");
            }
        }
        return text.ToString();
    }

    private static string ProductionConfigExample() =>
        "# Settings every workload of overlays/production shares (merged into the aimi-config ConfigMap). Copy to config.env\n" +
        "# (git-ignored) and edit. The identity provider's issuer URL (its discovery document is fetched over HTTPS) and the\n" +
        "# audience it puts in access tokens for the API.\n" +
        "Auth__Authority=https://<identity-provider>/<realm>\n" +
        "Auth__Audience=aimi\n" +
        "OTEL_EXPORTER_OTLP_ENDPOINT=http://<otel-collector>:4317\n";

    private static string ProductionGatewayExample() =>
        "# The gateway's settings in overlays/production (merged into gateway-env). Copy to gateway.env (git-ignored) and edit.\n" +
        "# The ingress controller's pod network as a CIDR (more as Gateway__TrustedProxies__1, ...): only a request from there has\n" +
        "# its X-Forwarded-For/-Proto believed, so rate limits go per client and HTTPS is recognised for Strict-Transport-Security.\n" +
        "# Left out, no proxy is trusted and every client shares the controller's rate-limit bucket.\n" +
        "Gateway__TrustedProxies__0=<ingress-controller-pod-cidr>\n";

    private static string ProductionWebExample() =>
        "# The web client's sign-in in overlays/production (merged into web-env). Copy to web.env (git-ignored) and edit: the OpenID\n" +
        "# Connect provider and the public client registered there (authorization code with PKCE, redirect URI https://<public-host>/).\n" +
        "# Without an authority the web host does not start here: it would offer development sign-in, which production refuses.\n" +
        "Web__Oidc__Authority=https://<identity-provider>/<realm>\n" +
        "Web__Oidc__ClientId=<web-client-id>\n";

    private static string ProductionIngressExample() =>
        "# Where overlays/production is reached. Copy to ingress.env (git-ignored) and edit; kustomize puts these values into the\n" +
        "# Ingress and the gateway's NetworkPolicy (they are not deployed as a ConfigMap).\n" +
        "# The public host name; DNS points it at the ingress controller, and the certificate is issued for it into the Secret aimi-tls.\n" +
        $"{IngressSettings.Host}=<public-host>\n" +
        "# The cert-manager ClusterIssuer that issues the certificate (for example one for an ACME CA with an HTTP-01 solver).\n" +
        $"{IngressSettings.ClusterIssuer}=<cluster-issuer>\n" +
        "# The controller's IngressClass (the Ingress's annotations are ingress-nginx's) and the namespace its pods run in, the only\n" +
        "# one whose pods may reach the gateway.\n" +
        $"{IngressSettings.IngressClass}=nginx\n" +
        $"{IngressSettings.ControllerNamespace}=ingress-nginx\n";

    private static GeneratedFile Yaml(string path, object value) => new(path, KubernetesYaml.Serialize(value).ReplaceLineEndings("\n").TrimEnd('\n') + "\n");
}
