using System.Net;
using System.Text.RegularExpressions;
using Aimi.AppHost.Publishing;
using Aimi.ServiceDefaults;
using k8s.Models;
using IPNetwork = System.Net.IPNetwork;

namespace Aimi.AppHost.Tests;

/// <summary>
/// Where each pod may connect (issue 18, item 12): DNS, the services it calls, its own servers, the identity provider and model
/// where it needs them, and for Notifications alone the public internet; and in development each service its own broker user.
/// </summary>
public partial class PublishTests
{
    /// <summary>Who calls whom: the gateway routes to every service and serves the web client, Chat calls Goals and Memory.</summary>
    private static readonly Dictionary<string, string[]> Calls = new()
    {
        [ResourceNames.Gateway] = [ResourceNames.GoalsApi, ResourceNames.ChatApi, ResourceNames.MemoryApi, ResourceNames.NotificationsApi, ResourceNames.Web],
        [ResourceNames.ChatApi] = [ResourceNames.GoalsApi, ResourceNames.MemoryApi],
    };

    private static readonly string[] BrokerClients = [ResourceNames.GoalsApi, ResourceNames.MemoryApi, ResourceNames.ChatApi, ResourceNames.NotificationsApi];
    private static readonly string[] ModelCallers = [ResourceNames.ChatApi, ResourceNames.MemoryApi];

    /// <summary>Production's outside servers, as the operator's egress.env would name them (the rendered example keeps the placeholders).</summary>
    private static readonly Dictionary<string, (string Range, IPAddress Address)> Outside = new()
    {
        ["postgres-cidr"] = ("198.51.100.10/32", IPAddress.Parse("198.51.100.10")),
        ["redis-cidr"] = ("198.51.100.11/32", IPAddress.Parse("198.51.100.11")),
        ["rabbitmq-cidr"] = ("198.51.100.12/32", IPAddress.Parse("198.51.100.12")),
        ["identity-provider-cidr"] = ("203.0.113.0/28", IPAddress.Parse("203.0.113.5")),
        ["model-endpoint-cidr"] = ("203.0.113.64/28", IPAddress.Parse("203.0.113.70")),
    };

    private static readonly IPAddress PublicAddress = IPAddress.Parse("93.184.216.34");

    [Fact]
    public void Egress_is_denied_by_default_and_every_pod_may_ask_the_cluster_dns()
    {
        foreach (var (overlay, objects) in Rendered.Value)
        {
            var (policies, pods) = Network(objects);
            Assert.Contains(policies, p => p.Spec.PodSelector.MatchLabels is null or { Count: 0 } && p.Spec.PolicyTypes.SequenceEqual(["Egress"]) && p.Spec.Egress is null);
            var dns = new Pod("kube-system", new Dictionary<string, string> { [KubernetesManifests.NamespaceNameLabel] = "kube-system" }, new Dictionary<string, string> { ["k8s-app"] = "kube-dns" });
            var otherSystemPod = new Pod("kube-system", dns.NamespaceLabels, new Dictionary<string, string> { ["k8s-app"] = "metrics-server" });
            foreach (var (name, pod) in pods)
            {
                Assert.True(Egress.Allow(policies, pod, dns, ClusterAddress, 53, "UDP", Ranges), $"{overlay}: {name} cannot resolve names.");
                Assert.True(Egress.Allow(policies, pod, dns, ClusterAddress, 53, "TCP", Ranges), $"{overlay}: {name} cannot resolve names over TCP.");
                Assert.False(Egress.Allow(policies, pod, otherSystemPod, ClusterAddress, 443, "TCP", Ranges), $"{overlay}: {name} reaches kube-system.");
            }
        }
    }

    [Fact]
    public void Each_workload_reaches_only_the_services_it_calls()
    {
        foreach (var (overlay, objects) in Rendered.Value)
        {
            var (policies, pods) = Network(objects);
            foreach (var (source, pod) in pods)
            {
                foreach (var (target, targetPod) in pods.Where(p => p.Key != source))
                {
                    var expected = Calls.TryGetValue(source, out var calls) && calls.Contains(target);
                    Assert.True(expected == Egress.Allow(policies, pod, targetPod, ClusterAddress, KubernetesManifests.ContainerPort, "TCP", Ranges),
                        $"{overlay}: {source} → {target} should be {(expected ? "allowed" : "refused")}.");
                }
            }
        }
    }

    [Fact]
    public void Each_workload_reaches_only_its_own_servers()
    {
        var (development, devPods) = Network(Rendered.Value["development"]);
        var (production, prodPods) = Network(Rendered.Value["production"]);
        var databaseClients = DatabaseOwners.SelectMany(o => new[] { o, KubernetesManifests.MigrationJobName(o) }).ToList();

        foreach (var (source, pod) in devPods)
        {
            Assert.Equal(databaseClients.Contains(source), DevelopmentAllows(source, "postgres", KubernetesManifests.PostgresPort));
            Assert.Equal(source == ResourceNames.ChatApi, DevelopmentAllows(source, ResourceNames.Redis, KubernetesManifests.RedisPort));
            Assert.Equal(BrokerClients.Contains(source), DevelopmentAllows(source, ResourceNames.RabbitMq, KubernetesManifests.RabbitMqPort));
        }
        bool DevelopmentAllows(string source, string server, int port) => Egress.Allow(development, devPods[source], devPods[server], ClusterAddress, port, "TCP", Ranges);

        foreach (var (source, pod) in prodPods)
        {
            bool Reaches(string range, int port) => Egress.Allow(production, pod, null, Outside[range].Address, port, "TCP", Ranges);
            Assert.True(databaseClients.Contains(source) == Reaches("postgres-cidr", KubernetesManifests.PostgresPort), $"{source} → PostgreSQL");
            Assert.True((source == ResourceNames.ChatApi) == Reaches("redis-cidr", KubernetesManifests.RedisTlsPort), $"{source} → Redis");
            Assert.True(BrokerClients.Contains(source) == Reaches("rabbitmq-cidr", KubernetesManifests.RabbitMqPort), $"{source} → RabbitMQ");
            Assert.True(TokenValidators.Contains(source) == Reaches("identity-provider-cidr", 443), $"{source} → the identity provider");
            // Notifications reaches any public address on 443 anyway (webhooks).
            Assert.True((ModelCallers.Contains(source) || source == ResourceNames.NotificationsApi) == Reaches("model-endpoint-cidr", 443), $"{source} → the model");
            // A server's range opens its port only: the database's range is no way to anything else.
            Assert.False(Reaches("postgres-cidr", 22), $"{source} → PostgreSQL's host on 22");
        }
    }

    [Fact]
    public void Only_notifications_reaches_the_public_internet_and_never_a_private_address()
    {
        foreach (var (overlay, objects) in Rendered.Value)
        {
            var (policies, pods) = Network(objects);
            foreach (var (source, pod) in pods)
            {
                foreach (var port in new[] { 80, 443, 25, 465, 587 })
                {
                    Assert.True((source == ResourceNames.NotificationsApi) == Egress.Allow(policies, pod, null, PublicAddress, port, "TCP", Ranges),
                        $"{overlay}: {source} → the internet on {port}");
                }
                Assert.False(Egress.Allow(policies, pod, null, IPAddress.Parse("2001:4860:4860::8888"), 22, "TCP", Ranges), $"{overlay}: {source} → the internet on 22");
            }

            var notifications = pods[ResourceNames.NotificationsApi];
            Assert.True(Egress.Allow(policies, notifications, null, IPAddress.Parse("2001:4860:4860::8888"), 443, "TCP", Ranges));
            string[] internal_ =
            [
                "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                "::1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "fd00::1", "fe80::1",
            ];
            foreach (var address in internal_)
            {
                foreach (var port in new[] { 80, 443, 587 })
                {
                    Assert.False(Egress.Allow(policies, notifications, null, IPAddress.Parse(address), port, "TCP", Ranges), $"{overlay}: notifications-api → {address}:{port}");
                }
            }
        }
    }

    [Fact]
    public void Every_address_range_of_production_comes_from_the_operators_egress_file()
    {
        var example = ExampleSettings("overlays/production/egress.env.example");
        Assert.Equal(Outside.Keys.Order(), example.Keys.Order());
        Assert.All(example, setting => Assert.Equal($"<{setting.Key}>", setting.Value));
        var ranges = Rendered.Value["production"].OfType<V1NetworkPolicy>()
            .SelectMany(p => p.Spec.Egress ?? []).SelectMany(r => r.To ?? []).Select(peer => peer.IpBlock?.Cidr).OfType<string>().ToHashSet();
        // Each setting reached its policies, and nothing else names an outside range but the internet's, for Notifications.
        Assert.Equal(example.Values.Append("0.0.0.0/0").Append("::/0").Order(), ranges.Order());
        Assert.DoesNotContain(Rendered.Value["production"].OfType<V1ConfigMap>(), c => c.Metadata.Name.StartsWith(KubernetesManifests.EgressSettingsName, StringComparison.Ordinal));
    }

    [Fact]
    public void In_development_each_service_signs_in_to_rabbitmq_as_its_own_user()
    {
        var objects = Rendered.Value["development"];
        var infrastructure = ExampleSettings("overlays/development/secrets/infrastructure.env.example");
        var script = Assert.Single(objects.OfType<V1ConfigMap>(), c => c.Metadata.Name == "rabbitmq-users").Data[KubernetesManifests.BrokerUsersScript];
        var broker = Assert.Single(objects.OfType<V1StatefulSet>(), s => s.Metadata.Name == ResourceNames.RabbitMq).Spec.Template.Spec;
        var container = Assert.Single(broker.Containers);
        var passwords = new HashSet<string>();
        foreach (var service in BrokerClients)
        {
            var amqp = new Uri(ExampleSettings($"overlays/development/secrets/{service}.env.example")[$"ConnectionStrings__{ResourceNames.RabbitMq}"]);
            var (user, password) = (Uri.UnescapeDataString(amqp.UserInfo.Split(':')[0]), Uri.UnescapeDataString(amqp.UserInfo.Split(':')[1]));
            Assert.Equal(service, user);
            Assert.True(passwords.Add(password), $"{service} shares a broker password.");
            // The script creates that user with the password the broker's container gets from the same secret key.
            var line = Assert.Single(script.Split('\n'), l => l.StartsWith($"user {service} ", StringComparison.Ordinal));
            var variable = Regex.Match(line, @"\$([A-Z_]+)").Groups[1].Value;
            var key = Assert.Single(container.Env, e => e.Name == variable).ValueFrom.SecretKeyRef;
            Assert.StartsWith(KubernetesManifests.InfrastructureSecretName, key.Name, StringComparison.Ordinal);
            Assert.Equal(password, infrastructure[key.Key]);
        }
        Assert.Equal(BrokerClients.Length, script.Split('\n').Count(l => l.StartsWith("user ", StringComparison.Ordinal)));
        Assert.Equal(["/bin/sh", $"/etc/rabbitmq-users/{KubernetesManifests.BrokerUsersScript}"], container.Lifecycle.PostStart.Exec.Command);
        // The default user is the operator's: no service signs in with its password.
        Assert.DoesNotContain(BrokerClients, s => ExampleSettings($"overlays/development/secrets/{s}.env.example").Values
            .Any(v => v.Contains($"<{KubernetesManifests.PasswordParameter(ResourceNames.RabbitMq)}>", StringComparison.Ordinal)));
    }

    /// <summary>Pods of the namespace get a private address, as a cluster's pod network has.</summary>
    private static readonly IPAddress ClusterAddress = IPAddress.Parse("10.244.1.7");

    private static readonly Dictionary<string, string> Ranges = Outside.ToDictionary(o => $"<{o.Key}>", o => o.Value.Range);

    private static (List<V1NetworkPolicy> Policies, Dictionary<string, Pod> Pods) Network(List<object> objects)
    {
        var space = Assert.Single(objects.OfType<V1Namespace>());
        var namespaceLabels = new Dictionary<string, string>(space.Metadata.Labels) { [KubernetesManifests.NamespaceNameLabel] = space.Metadata.Name };
        var pods = objects.OfType<V1Deployment>().Select(d => d.Spec.Template.Metadata.Labels)
            .Concat(objects.OfType<V1StatefulSet>().Select(s => s.Spec.Template.Metadata.Labels))
            .Concat(objects.OfType<V1Job>().Select(j => j.Spec.Template.Metadata.Labels))
            .ToDictionary(labels => labels[KubernetesManifests.NameLabel], labels => new Pod(space.Metadata.Name, namespaceLabels, labels));
        return (objects.OfType<V1NetworkPolicy>().ToList(), pods);
    }
}

/// <summary>The egress half of NetworkPolicy semantics, for the selectors and blocks the generator writes.</summary>
internal static class Egress
{
    /// <summary>
    /// Whether <paramref name="source"/> may connect to <paramref name="port"/> at <paramref name="address"/> (a pod of the cluster
    /// when <paramref name="target"/> is given): yes when no egress policy selects the source, else when a rule of one that does names
    /// the destination and the port. <paramref name="ranges"/> resolves placeholders to the ranges an operator would fill in.
    /// </summary>
    public static bool Allow(IReadOnlyList<V1NetworkPolicy> policies, Pod source, Pod? target, IPAddress address, int port, string protocol, IReadOnlyDictionary<string, string> ranges)
    {
        // A socket connecting to an IPv4-mapped address sends IPv4 packets: the policy sees the IPv4 address.
        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        var selecting = policies.Where(p => p.Spec.PolicyTypes.Contains("Egress") && NetworkPolicies.Matches(p.Spec.PodSelector, source.Labels)).ToList();
        return selecting.Count == 0 || selecting.Any(policy => (policy.Spec.Egress ?? []).Any(rule =>
            (rule.Ports is null || rule.Ports.Any(p => p.Port.Value == port.ToString(System.Globalization.CultureInfo.InvariantCulture) && (p.Protocol ?? "TCP") == protocol))
            && (rule.To is null || rule.To.Any(peer => Names(peer, source.Namespace, target, address, ranges)))));
    }

    private static bool Names(V1NetworkPolicyPeer peer, string policyNamespace, Pod? target, IPAddress address, IReadOnlyDictionary<string, string> ranges)
    {
        if (peer.IpBlock is { } block)
        {
            return Contains(block.Cidr) && !(block.Except ?? []).Any(Contains);
        }
        if (target is null)
        {
            return false;
        }
        var inNamespace = peer.NamespaceSelector is null ? target.Namespace == policyNamespace : NetworkPolicies.Matches(peer.NamespaceSelector, target.NamespaceLabels);
        return inNamespace && (peer.PodSelector is null || NetworkPolicies.Matches(peer.PodSelector, target.Labels));

        bool Contains(string cidr)
        {
            var network = IPNetwork.Parse(ranges.TryGetValue(cidr, out var range) ? range : cidr);
            return network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address);
        }
    }
}
