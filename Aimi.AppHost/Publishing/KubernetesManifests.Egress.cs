using Aimi.ServiceDefaults;
using k8s.Models;

namespace Aimi.AppHost.Publishing;

/// <summary>
/// Where each pod may connect. Egress is denied in the whole namespace, then allowed per workload: every pod DNS and the
/// telemetry collector's port; a project the projects it calls (base); its database, cache and broker (in-cluster pods in
/// development, the operator's address ranges in production); the identity provider for every token validator and the model
/// endpoint for the services that call a model (production); Notifications the public internet on the ports of webhooks, Web
/// Push and SMTP, private ranges excepted.
/// </summary>
public static partial class KubernetesManifests
{
    public const string DefaultDenyEgressPolicy = "default-deny-egress";
    public const string DnsPolicy = "allow-dns";
    public const string TelemetryPolicy = "allow-telemetry";
    public const int DnsPort = 53;
    public const int OtlpPort = 4317;
    public const int HttpsPort = 443;
    /// <summary>Production's Redis is reached over TLS (the secrets example's <c>ssl=true</c>).</summary>
    public const int RedisTlsPort = 6380;
    public const string EgressSettingsName = "egress-settings";

    /// <summary>Services that deliver to addresses users give (webhooks, Web Push endpoints, SMTP relays): the internet, not the cluster.</summary>
    public static readonly IReadOnlyList<string> PublicInternetClients = [ResourceNames.NotificationsApi];

    /// <summary>Services that call a model (<c>AI__Chat__Endpoint</c>) when one is configured instead of the local one.</summary>
    public static readonly IReadOnlyList<string> ModelClients = [ResourceNames.ChatApi, ResourceNames.MemoryApi];

    /// <summary>HTTP and HTTPS (webhooks, Web Push), SMTP submission (587, 465) and relay (25).</summary>
    public static readonly IReadOnlyList<int> PublicInternetPorts = [80, HttpsPort, 25, 465, 587];

    /// <summary>Never reachable as "the internet": private, loopback, link-local (cloud metadata), shared and translated ranges.</summary>
    public static readonly IReadOnlyList<string> PrivateIPv4Ranges =
        ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"];

    public static readonly IReadOnlyList<string> PrivateIPv6Ranges =
        ["::1/128", "::ffff:0:0/96", "64:ff9b::/96", "2002::/16", "fc00::/7", "fe80::/10"];

    /// <summary>The keys of <see cref="OperatorFiles.Egress"/>: the address ranges production's pods may reach outside the cluster.</summary>
    public static class EgressSettings
    {
        public const string IdentityProvider = "identity-provider-cidr";
        public const string ModelEndpoint = "model-endpoint-cidr";

        public static string Server(string resource) => $"{resource}-cidr";
    }

    public static string EgressPolicyName(string workload) => $"{workload}-egress";

    public static string InfrastructureEgressPolicyName(string workload) => $"{workload}-infrastructure-egress";

    public static string InternetEgressPolicyName(string workload) => $"{workload}-internet-egress";

    public static string IdentityProviderEgressPolicyName(string workload) => $"{workload}-identity-provider-egress";

    public static string ModelEgressPolicyName(string workload) => $"{workload}-model-egress";

    /// <summary>The base's egress policies: deny by default, DNS and telemetry for all, each project's calls, Notifications' internet.</summary>
    private static IEnumerable<(string File, object Policy)> BaseEgressPolicies(DeploymentModel model)
    {
        yield return ($"{DefaultDenyEgressPolicy}-networkpolicy.yaml", EgressPolicy(DefaultDenyEgressPolicy, new V1LabelSelector(), []));
        yield return ($"{DnsPolicy}-networkpolicy.yaml", EgressPolicy(DnsPolicy, new V1LabelSelector(),
        [
            new V1NetworkPolicyEgressRule
            {
                To =
                [
                    new V1NetworkPolicyPeer
                    {
                        NamespaceSelector = new V1LabelSelector { MatchLabels = Map((NamespaceNameLabel, "kube-system")) },
                        PodSelector = new V1LabelSelector { MatchLabels = Map(("k8s-app", "kube-dns")) },
                    },
                ],
                Ports = [Port(DnsPort, "UDP"), Port(DnsPort, "TCP")],
            },
        ]));
        // The collector's address is the operator's (OTEL_EXPORTER_OTLP_ENDPOINT): its port, wherever it is.
        yield return ($"{TelemetryPolicy}-networkpolicy.yaml", EgressPolicy(TelemetryPolicy, new V1LabelSelector(),
            [new V1NetworkPolicyEgressRule { Ports = [Port(OtlpPort, "TCP")] }]));

        foreach (var project in model.Projects)
        {
            var calls = project.References.OfType<DeployedProjectReference>().ToList();
            if (calls.Count > 0)
            {
                yield return ($"{EgressPolicyName(project.Name)}-networkpolicy.yaml", EgressPolicy(EgressPolicyName(project.Name), Pods(project.Name),
                    [new V1NetworkPolicyEgressRule { To = [.. calls.Select(c => Peer(c.Name))], Ports = [Port(ContainerPort, "TCP")] }]));
            }
            if (PublicInternetClients.Contains(project.Name))
            {
                yield return ($"{InternetEgressPolicyName(project.Name)}-networkpolicy.yaml", EgressPolicy(InternetEgressPolicyName(project.Name), Pods(project.Name),
                [
                    new V1NetworkPolicyEgressRule
                    {
                        To =
                        [
                            new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "0.0.0.0/0", Except = [.. PrivateIPv4Ranges] } },
                            new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "::/0", Except = [.. PrivateIPv6Ranges] } },
                        ],
                        Ports = [.. PublicInternetPorts.Select(p => Port(p, "TCP"))],
                    },
                ]));
            }
        }
    }

    /// <summary>Development: each service and its migration job reach the in-cluster servers they use, by pod.</summary>
    private static IEnumerable<(string File, object Policy)> DevelopmentEgressPolicies(DeploymentModel model) =>
        InfrastructureEgressPolicies(model, server => Peer(server.Name), server => ServerPort(server, production: false));

    /// <summary>
    /// Production: the servers are outside the cluster, at the operator's address ranges (<see cref="OperatorFiles.Egress"/>), and so
    /// are the identity provider (every token validator fetches its keys) and a model endpoint.
    /// </summary>
    private static IEnumerable<(string File, object Policy)> ProductionEgressPolicies(DeploymentModel model)
    {
        foreach (var policy in InfrastructureEgressPolicies(model, server => Range(EgressSettings.Server(server.Name)), server => ServerPort(server, production: true)))
        {
            yield return policy;
        }
        foreach (var project in model.Projects.Where(p => p.ValidatesTokens))
        {
            var name = IdentityProviderEgressPolicyName(project.Name);
            yield return ($"{name}-networkpolicy.yaml", EgressPolicy(name, Pods(project.Name),
                [new V1NetworkPolicyEgressRule { To = [Range(EgressSettings.IdentityProvider)], Ports = [Port(HttpsPort, "TCP")] }]));
        }
        foreach (var project in model.Projects.Where(p => ModelClients.Contains(p.Name)))
        {
            var name = ModelEgressPolicyName(project.Name);
            yield return ($"{name}-networkpolicy.yaml", EgressPolicy(name, Pods(project.Name),
                [new V1NetworkPolicyEgressRule { To = [Range(EgressSettings.ModelEndpoint)], Ports = [Port(HttpsPort, "TCP")] }]));
        }
    }

    /// <summary>What production's egress policies need from <see cref="OperatorFiles.Egress"/>: each range into every policy that names it.</summary>
    private static List<KustomizeReplacement> EgressReplacements(DeploymentModel model)
    {
        var targets = new Dictionary<string, List<KustomizeReplacementTarget>>(StringComparer.Ordinal);
        void Target(string key, string policy, int rule)
        {
            if (!targets.TryGetValue(key, out var list))
            {
                targets[key] = list = [];
            }
            list.Add(new KustomizeReplacementTarget
            {
                Select = new KustomizeSelector { Kind = "NetworkPolicy", Name = policy },
                FieldPaths = [$"spec.egress.{rule}.to.0.ipBlock.cidr"],
            });
        }
        foreach (var project in model.Projects)
        {
            foreach (var (workload, servers) in InfrastructureOf(project))
            {
                for (var i = 0; i < servers.Count; i++)
                {
                    Target(EgressSettings.Server(servers[i].Name), InfrastructureEgressPolicyName(workload), i);
                }
            }
            if (project.ValidatesTokens)
            {
                Target(EgressSettings.IdentityProvider, IdentityProviderEgressPolicyName(project.Name), 0);
            }
            if (ModelClients.Contains(project.Name))
            {
                Target(EgressSettings.ModelEndpoint, ModelEgressPolicyName(project.Name), 0);
            }
        }
        return [.. targets.Select(t => new KustomizeReplacement
        {
            Source = new KustomizeReplacementSource { Kind = "ConfigMap", Name = EgressSettingsName, FieldPath = $"data.{t.Key}" },
            Targets = t.Value,
        })];
    }

    /// <summary>The keys <see cref="OperatorFiles.Egress"/> must hold: one range per server the services use, the identity provider, the model.</summary>
    public static IReadOnlyList<string> EgressSettingKeys(DeploymentModel model) =>
    [
        .. model.Resources.Where(r => r is DeployedPostgres or DeployedRedis or DeployedRabbitMq).Select(r => EgressSettings.Server(r.Name)),
        EgressSettings.IdentityProvider,
        EgressSettings.ModelEndpoint,
    ];

    private static IEnumerable<(string File, object Policy)> InfrastructureEgressPolicies(
        DeploymentModel model, Func<Deployed, V1NetworkPolicyPeer> peer, Func<Deployed, int> port)
    {
        foreach (var (workload, servers) in model.Projects.SelectMany(InfrastructureOf))
        {
            var name = InfrastructureEgressPolicyName(workload);
            yield return ($"{name}-networkpolicy.yaml", EgressPolicy(name, Pods(workload),
                [.. servers.Select(server => new V1NetworkPolicyEgressRule { To = [peer(server)], Ports = [Port(port(server), "TCP")] })]));
        }
    }

    /// <summary>The servers a project's pods use (a database by its server), and its migration job's: the database alone.</summary>
    private static IEnumerable<(string Workload, IReadOnlyList<Deployed> Servers)> InfrastructureOf(DeployedProject project)
    {
        List<Deployed> servers = [.. project.References.Select(r => r is DeployedDatabase database ? database.Server : r)
            .Where(r => r is DeployedPostgres or DeployedRedis or DeployedRabbitMq).DistinctBy(r => r.Name)];
        if (servers.Count > 0)
        {
            yield return (project.Name, servers);
        }
        if (OwnedDatabases(project).Count > 0)
        {
            yield return (MigrationJobName(project.Name), [.. OwnedDatabases(project).Select(d => d.Server).DistinctBy(s => s.Name)]);
        }
    }

    private static int ServerPort(Deployed server, bool production) => server switch
    {
        DeployedPostgres => PostgresPort,
        DeployedRedis => production ? RedisTlsPort : RedisPort,
        DeployedRabbitMq => RabbitMqPort,
        _ => throw new InvalidOperationException($"{server.Name} is no server."),
    };

    private static V1NetworkPolicyPeer Range(string key) => new() { IpBlock = new V1IPBlock { Cidr = Placeholder(key) } };

    private static V1LabelSelector Pods(string workload) => new() { MatchLabels = Selector(workload) };

    private static V1NetworkPolicyPort Port(int port, string protocol) => new() { Port = port, Protocol = protocol };

    private static V1NetworkPolicy EgressPolicy(string name, V1LabelSelector pods, IList<V1NetworkPolicyEgressRule> rules) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = Metadata(name, Components.Network),
        Spec = new V1NetworkPolicySpec { PodSelector = pods, PolicyTypes = ["Egress"], Egress = rules.Count == 0 ? null : rules },
    };

    private static string ProductionEgressExample(DeploymentModel model)
    {
        var text = new System.Text.StringBuilder();
        text.Append("# Where overlays/production's pods may connect outside the cluster, as CIDR ranges (one per key; a single host is /32).\n");
        text.Append("# Copy to egress.env (git-ignored) and edit; kustomize puts them into the egress NetworkPolicies (not deployed as a\n");
        text.Append("# ConfigMap), and the API server refuses a policy while a <placeholder> is left. The servers of each service's connection\n");
        text.Append("# strings (secrets/*.env):\n");
        foreach (var key in EgressSettingKeys(model).Where(k => k is not EgressSettings.IdentityProvider and not EgressSettings.ModelEndpoint))
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{key}=<{key}>\n");
        }
        text.Append("# The OpenID Connect provider (Auth__Authority), on 443: the gateway and every service fetch its signing keys.\n");
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{EgressSettings.IdentityProvider}=<{EgressSettings.IdentityProvider}>\n");
        text.Append("# The model endpoint (AI__Chat__Endpoint), on 443, for chat-api and memory-api; with the local model, any range that\n");
        text.Append("# holds nothing of yours, such as 192.0.2.0/32.\n");
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{EgressSettings.ModelEndpoint}=<{EgressSettings.ModelEndpoint}>\n");
        return text.ToString();
    }
}
