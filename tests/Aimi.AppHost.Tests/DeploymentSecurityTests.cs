using System.Text.RegularExpressions;
using Aimi.AppHost.Publishing;
using Aimi.ServiceDefaults;
using k8s.Models;

namespace Aimi.AppHost.Tests;

/// <summary>
/// What the generated manifests enforce in a cluster (issue 18, items 9–14): the only way in, who may call whom, which pod
/// holds which secret, the pod security standard, and the production settings the gateway and the web client need.
/// </summary>
public partial class PublishTests
{
    private static readonly string[] TokenValidators = [ResourceNames.Gateway, ResourceNames.GoalsApi, ResourceNames.MemoryApi, ResourceNames.ChatApi, ResourceNames.NotificationsApi];
    private static readonly string[] DatabaseOwners = [ResourceNames.GoalsApi, ResourceNames.MemoryApi, ResourceNames.ChatApi, ResourceNames.NotificationsApi];

    /// <summary>Who may open a connection to whom inside the namespace: the gateway routes to every service, Chat calls Goals and Memory.</summary>
    private static readonly Dictionary<string, string[]> Callers = new()
    {
        [ResourceNames.Gateway] = [],
        [ResourceNames.GoalsApi] = [ResourceNames.Gateway, ResourceNames.ChatApi],
        [ResourceNames.MemoryApi] = [ResourceNames.Gateway, ResourceNames.ChatApi],
        [ResourceNames.ChatApi] = [ResourceNames.Gateway],
        [ResourceNames.NotificationsApi] = [ResourceNames.Gateway],
        [ResourceNames.Web] = [ResourceNames.Gateway],
    };

    [Fact]
    public void Production_is_reached_only_through_a_tls_ingress_and_development_only_by_port_forward()
    {
        foreach (var (overlay, objects) in Rendered.Value)
        {
            // No LoadBalancer or NodePort: a plain-HTTP public address would carry bearer tokens in clear.
            Assert.All(objects.OfType<V1Service>(), s => Assert.True(s.Spec.Type == "ClusterIP", $"{overlay}: {s.Metadata.Name} is a {s.Spec.Type}."));
        }
        Assert.Empty(Rendered.Value["development"].OfType<V1Ingress>());

        var production = Rendered.Value["production"];
        var settings = ExampleSettings("overlays/production/ingress.env.example");
        var ingress = Assert.Single(production.OfType<V1Ingress>());
        Assert.Equal("networking.k8s.io/v1", ingress.ApiVersion);
        var rule = Assert.Single(ingress.Spec.Rules);
        Assert.Equal(settings["host"], rule.Host);
        var tls = Assert.Single(ingress.Spec.Tls);
        Assert.Equal([settings["host"]], tls.Hosts);
        Assert.Equal("aimi-tls", tls.SecretName);
        Assert.Equal(settings["cluster-issuer"], ingress.Metadata.Annotations["cert-manager.io/cluster-issuer"]);
        Assert.Equal("true", ingress.Metadata.Annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"]);
        Assert.Equal(settings["ingress-class"], ingress.Spec.IngressClassName);
        var backend = Assert.Single(rule.Http.Paths).Backend.Service;
        Assert.Equal((ResourceNames.Gateway, "http"), (backend.Name, backend.Port.Name));
        // The settings only feed kustomize's replacements; they are not deployed.
        Assert.DoesNotContain(production.OfType<V1ConfigMap>(), c => c.Metadata.Name.StartsWith("ingress-settings", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_the_gateway_and_the_services_that_validate_tokens_get_the_signing_key()
    {
        var objects = Objects("base");
        static bool HasKey(V1PodSpec pod) => pod.Containers.SelectMany(c => c.Env ?? []).Any(e => e.Name == KubernetesManifests.SigningKeySecretKey);

        var holders = objects.OfType<V1Deployment>().Where(d => HasKey(d.Spec.Template.Spec)).Select(d => d.Metadata.Name);
        Assert.Equal(TokenValidators.Order(), holders.Order());
        var jobs = objects.OfType<V1Job>().ToList();
        Assert.NotEmpty(jobs);
        Assert.All(jobs, j => Assert.False(HasKey(j.Spec.Template.Spec), $"{j.Metadata.Name} gets the signing key."));
    }

    [Fact]
    public void Network_policies_admit_each_workload_only_from_its_callers()
    {
        foreach (var (overlay, objects) in Rendered.Value)
        {
            var space = Assert.Single(objects.OfType<V1Namespace>());
            // The API server labels every namespace with its name.
            var namespaceLabels = new Dictionary<string, string>(space.Metadata.Labels) { ["kubernetes.io/metadata.name"] = space.Metadata.Name };
            var policies = objects.OfType<V1NetworkPolicy>().ToList();
            var pods = objects.OfType<V1Deployment>().Select(d => d.Spec.Template.Metadata.Labels)
                .Concat(objects.OfType<V1StatefulSet>().Select(s => s.Spec.Template.Metadata.Labels))
                .Concat(objects.OfType<V1Job>().Select(j => j.Spec.Template.Metadata.Labels))
                .ToDictionary(labels => labels[KubernetesManifests.NameLabel], labels => new Pod(space.Metadata.Name, namespaceLabels, labels));
            bool Admits(string from, string to, int port) => NetworkPolicies.Admit(policies, pods[from], pods[to], port);

            foreach (var (target, callers) in Callers)
            {
                foreach (var source in pods.Keys.Where(p => p != target))
                {
                    Assert.True(callers.Contains(source) == Admits(source, target, KubernetesManifests.ContainerPort),
                        $"{overlay}: {source} → {target} should be {(callers.Contains(source) ? "admitted" : "refused")}.");
                }
            }

            // From outside the namespace only the ingress controller's pods, and only to the gateway (production has the Ingress).
            var controller = new Pod("ingress-nginx", new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "ingress-nginx" }, new Dictionary<string, string> { [KubernetesManifests.NameLabel] = "ingress-nginx" });
            var stranger = new Pod("elsewhere", new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "elsewhere" }, new Dictionary<string, string> { [KubernetesManifests.NameLabel] = ResourceNames.ChatApi });
            Assert.Equal(overlay == "production", NetworkPolicies.Admit(policies, controller, pods[ResourceNames.Gateway], KubernetesManifests.ContainerPort));
            Assert.All(pods.Values, pod => Assert.False(NetworkPolicies.Admit(policies, stranger, pod, KubernetesManifests.ContainerPort)));
            Assert.All(pods.Keys.Where(p => p != ResourceNames.Gateway), p => Assert.False(NetworkPolicies.Admit(policies, controller, pods[p], KubernetesManifests.ContainerPort)));

            if (overlay == "development")
            {
                // Each server only from the services that use it: PostgreSQL also from the migration jobs, RabbitMQ not.
                var postgres = DatabaseOwners.SelectMany(o => new[] { o, KubernetesManifests.MigrationJobName(o) }).ToList();
                AssertOnlyFrom(pods, (from, to, port) => Admits(from, to, port), "postgres", KubernetesManifests.PostgresPort, postgres);
                AssertOnlyFrom(pods, (from, to, port) => Admits(from, to, port), ResourceNames.Redis, KubernetesManifests.RedisPort, [ResourceNames.ChatApi]);
                AssertOnlyFrom(pods, (from, to, port) => Admits(from, to, port), ResourceNames.RabbitMq, KubernetesManifests.RabbitMqPort, DatabaseOwners);
            }
        }
    }

    private static void AssertOnlyFrom(Dictionary<string, Pod> pods, Func<string, string, int, bool> admits, string server, int port, IReadOnlyCollection<string> clients)
    {
        foreach (var source in pods.Keys.Where(p => p != server))
        {
            Assert.True(clients.Contains(source) == admits(source, server, port), $"{source} → {server} should be {(clients.Contains(source) ? "admitted" : "refused")}.");
        }
    }

    [Fact]
    public void Every_workload_has_a_secret_of_its_own()
    {
        foreach (var (overlay, objects) in Rendered.Value)
        {
            var secrets = objects.OfType<V1Secret>().ToList();
            foreach (var (workload, pod) in objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
                         .Concat(objects.OfType<V1Job>().Select(j => (j.Metadata.Name, j.Spec.Template.Spec)))
                         .Concat(objects.OfType<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template.Spec))))
            {
                var owner = workload.EndsWith("-migrate", StringComparison.Ordinal) ? workload[..^"-migrate".Length] : workload;
                var expected = Model.Projects.Any(p => p.Name == owner) ? OwnSecret(owner) : "aimi-infrastructure";
                foreach (var reference in pod.Containers.SelectMany(c => c.Env ?? []).Select(e => e.ValueFrom?.SecretKeyRef).OfType<V1SecretKeySelector>())
                {
                    Assert.Matches($"^{Regex.Escape(expected)}(-[a-z0-9]{{10}})?$", reference.Name);
                }
            }
            // A project's Secret holds its own connection strings (and the signing key), nothing of another service.
            foreach (var project in Model.Projects.Where(p => OwnSecretKeys(p).Count > 0))
            {
                var secret = Assert.Single(secrets, s => Regex.IsMatch(s.Metadata.Name, $"^{Regex.Escape(OwnSecret(project.Name))}(-[a-z0-9]{{10}})?$"));
                var keys = (secret.Data ?? new Dictionary<string, byte[]>()).Keys.ToHashSet();
                Assert.Subset(OwnSecretKeys(project).ToHashSet(), keys);
                Assert.All(ConnectionStrings(project), key => Assert.Contains(key, keys));
            }
            Assert.DoesNotContain(secrets, s => (s.Data ?? new Dictionary<string, byte[]>()).Keys.Any(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal))
                && !Model.Projects.Any(p => s.Metadata.Name.StartsWith(OwnSecret(p.Name), StringComparison.Ordinal)));
        }

        // Each service signs in to PostgreSQL as its own role, and the development server creates exactly those roles.
        var init = Assert.Single(Objects("overlays/development").OfType<V1ConfigMap>(), c => c.Metadata.Name == "postgres-init").Data.Values.Single();
        foreach (var overlay in Overlays)
        {
            foreach (var project in Model.Projects)
            {
                foreach (var database in KubernetesManifests.OwnedDatabases(project))
                {
                    var example = ExampleSettings($"overlays/{overlay}/secrets/{project.Name}.env.example");
                    Assert.Contains($"Username={project.Name};", example[$"ConnectionStrings__{database.Name}"], StringComparison.Ordinal);
                    Assert.Contains($"Password=<{database.Name}-password>", example[$"ConnectionStrings__{database.Name}"], StringComparison.Ordinal);
                    Assert.Contains($"create {project.Name} {database.Name} ", init, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void Every_pod_of_ours_meets_the_restricted_pod_security_standard()
    {
        var objects = Objects("base");
        var pods = objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
            .Concat(objects.OfType<V1Job>().Select(j => (j.Metadata.Name, j.Spec.Template.Spec)))
            .ToList();
        Assert.Equal(Model.Projects.Count() + Model.Projects.Count(p => KubernetesManifests.OwnedDatabases(p).Count > 0), pods.Count);
        foreach (var (name, pod) in pods)
        {
            Assert.False(pod.AutomountServiceAccountToken ?? true, $"{name} mounts a service-account token.");
            Assert.True(pod.SecurityContext.RunAsNonRoot, name);
            Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
            var container = Assert.Single(pod.Containers);
            Assert.False(container.SecurityContext.AllowPrivilegeEscalation ?? true, name);
            Assert.True(container.SecurityContext.ReadOnlyRootFilesystem, $"{name} can write its root filesystem.");
            Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
            var tmp = Assert.Single(container.VolumeMounts, m => m.MountPath == "/tmp");
            Assert.NotNull(Assert.Single(pod.Volumes, v => v.Name == tmp.Name).EmptyDir);
        }

        // Production holds only these pods: restricted is enforced. Development's PostgreSQL and RabbitMQ images start as root.
        var production = Assert.Single(Objects("overlays/production").OfType<V1Namespace>()).Metadata.Labels;
        Assert.Equal("restricted", production["pod-security.kubernetes.io/enforce"]);
        var development = Assert.Single(Objects("overlays/development").OfType<V1Namespace>()).Metadata.Labels;
        Assert.Equal("baseline", development["pod-security.kubernetes.io/enforce"]);
        Assert.Equal("restricted", development["pod-security.kubernetes.io/warn"]);
        var infrastructure = Objects("overlays/development").OfType<V1StatefulSet>().Select(s => s.Spec.Template.Spec)
            .Concat(Objects("overlays/development").OfType<V1Deployment>().Where(d => d.Spec.Template.Spec.Containers.Any(c => c.Image is not null)).Select(d => d.Spec.Template.Spec))
            .ToList();
        Assert.NotEmpty(infrastructure);
        Assert.All(infrastructure, pod => Assert.Equal((false, "RuntimeDefault"), (pod.AutomountServiceAccountToken, pod.SecurityContext.SeccompProfile.Type)));
    }

    [Fact]
    public void The_production_gateway_trusts_forwarded_headers_from_the_ingress_network_only()
    {
        var key = "Gateway__TrustedProxies__0";
        var baseSettings = Objects("base").OfType<V1ConfigMap>().Single(c => c.Metadata.Name == $"{ResourceNames.Gateway}-env").Data;
        Assert.DoesNotContain(baseSettings.Keys, k => k.StartsWith("Gateway__TrustedProxies", StringComparison.Ordinal));

        string? Setting(string overlay) =>
            Rendered.Value[overlay].OfType<V1ConfigMap>().Single(c => c.Metadata.Name == $"{ResourceNames.Gateway}-env").Data.TryGetValue(key, out var value) ? value : null;
        Assert.Equal(ExampleSettings("overlays/production/gateway.env.example")[key], Setting("production"));
        Assert.Null(Setting("development"));
    }

    [Fact]
    public void The_production_web_client_signs_in_at_the_identity_provider()
    {
        Dictionary<string, string> Web(string overlay) =>
            new(Rendered.Value[overlay].OfType<V1ConfigMap>().Single(c => c.Metadata.Name == $"{ResourceNames.Web}-env").Data);

        var example = ExampleSettings("overlays/production/web.env.example");
        var production = Web("production");
        Assert.Equal(example["Web__Oidc__Authority"], production["Web__Oidc__Authority"]);
        Assert.Equal(example["Web__Oidc__ClientId"], production["Web__Oidc__ClientId"]);
        Assert.StartsWith("https://", production["Web__Oidc__Authority"], StringComparison.Ordinal);
        // Development keeps the development sign-in, which its gateway answers.
        Assert.DoesNotContain(Web("development").Keys, k => k.StartsWith("Web__Oidc__", StringComparison.Ordinal));
    }

    /// <summary>Each workload's own Secret.</summary>
    private static string OwnSecret(string workload) => $"{workload}-secrets";

    private static IReadOnlyList<string> ConnectionStrings(DeployedProject project) =>
        [.. project.References.Where(r => r is DeployedDatabase or DeployedRedis or DeployedRabbitMq).Select(r => $"ConnectionStrings__{r.Name}")];

    /// <summary>What a project's Secret may hold: its connection strings, and the signing key where it validates tokens.</summary>
    private static IReadOnlyList<string> OwnSecretKeys(DeployedProject project) =>
        [.. ConnectionStrings(project), .. TokenValidators.Contains(project.Name) ? [KubernetesManifests.SigningKeySecretKey] : Array.Empty<string>()];

    /// <summary>The settings of a generated <c>*.env.example</c> (comments skipped).</summary>
    private static Dictionary<string, string> ExampleSettings(string path) =>
        Files.Single(f => f.Path == $"kubernetes/{path}").Content.Split('\n')
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts[1]);
}

/// <summary>A pod as NetworkPolicy sees it: its namespace (name and labels) and its own labels.</summary>
internal sealed record Pod(string Namespace, IDictionary<string, string> NamespaceLabels, IDictionary<string, string> Labels);

/// <summary>The ingress half of Kubernetes NetworkPolicy semantics, for the selectors the generator writes (matchLabels only).</summary>
internal static class NetworkPolicies
{
    /// <summary>
    /// Whether <paramref name="source"/> may open a connection to <paramref name="port"/> of <paramref name="target"/>: yes when no
    /// policy selects the target, else when a rule of one that does names the source and the port.
    /// </summary>
    public static bool Admit(IReadOnlyList<V1NetworkPolicy> policies, Pod source, Pod target, int port)
    {
        var selecting = policies.Where(p => p.Spec.PolicyTypes.Contains("Ingress") && Matches(p.Spec.PodSelector, target.Labels)).ToList();
        return selecting.Count == 0 || selecting.Any(policy => (policy.Spec.Ingress ?? []).Any(rule =>
            (rule.Ports is null || rule.Ports.Any(p => p.Port.Value == port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            && (rule.FromProperty is null || rule.FromProperty.Any(peer => Names(peer, target.Namespace, source)))));
    }

    private static bool Names(V1NetworkPolicyPeer peer, string policyNamespace, Pod source)
    {
        Assert.Null(peer.IpBlock);
        // A pod selector alone means the policy's own namespace.
        var inNamespace = peer.NamespaceSelector is null ? source.Namespace == policyNamespace : Matches(peer.NamespaceSelector, source.NamespaceLabels);
        return inNamespace && (peer.PodSelector is null || Matches(peer.PodSelector, source.Labels));
    }

    internal static bool Matches(V1LabelSelector selector, IDictionary<string, string> labels)
    {
        Assert.True(selector.MatchExpressions is null or { Count: 0 }, "matchExpressions are not modelled here.");
        return (selector.MatchLabels ?? new Dictionary<string, string>()).All(l => labels.TryGetValue(l.Key, out var value) && value == l.Value);
    }
}
