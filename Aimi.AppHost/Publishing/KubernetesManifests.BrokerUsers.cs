using System.Globalization;
using System.Text;
using k8s.Models;

namespace Aimi.AppHost.Publishing;

/// <summary>
/// Development's RabbitMQ gives each service a user of its own (production's broker is the operator's, with the same rule): the
/// image creates one user from its environment, so a script run after the node starts creates the others, or sets their
/// passwords again, from the infrastructure Secret.
/// </summary>
public static partial class KubernetesManifests
{
    public const string BrokerUsersScript = "service-users.sh";
    private const string BrokerUsersMount = "/etc/rabbitmq-users";

    /// <summary>The broker user of a service: its name, as its PostgreSQL role.</summary>
    public static string BrokerUser(DeployedProject project) => project.Name;

    /// <summary>The secret key of a service's broker password (<c>goals-api-rabbitmq-password</c>).</summary>
    public static string BrokerPasswordParameter(DeployedProject project, DeployedRabbitMq rabbitMq) => $"{project.Name}-{rabbitMq.Name}-password";

    public static IReadOnlyList<DeployedProject> BrokerClients(DeploymentModel model, DeployedRabbitMq rabbitMq) =>
        [.. model.Projects.Where(p => p.References.Any(r => r.Name == rabbitMq.Name))];

    private static string BrokerUsersConfigMapName(DeployedRabbitMq rabbitMq) => $"{rabbitMq.Name}-users";

    private static string BrokerPasswordVariable(DeployedProject project) =>
        $"{project.Name.ToUpperInvariant().Replace('-', '_')}_BROKER_PASSWORD";

    private static V1ConfigMap BrokerUsers(DeploymentModel model, DeployedRabbitMq rabbitMq)
    {
        var script = new StringBuilder();
        script.Append("#!/bin/sh\n");
        script.Append("# Each service's own RabbitMQ user with the password of the infrastructure Secret, on every start (a changed password\n");
        script.Append("# takes effect at the next restart). Rights on the one virtual host: the services share its exchanges.\n");
        script.Append("set -eu\n");
        script.Append("rabbitmqctl await_startup --timeout 300 >/dev/null\n");
        script.Append("user() {\n");
        script.Append("  rabbitmqctl add_user \"$1\" \"$2\" >/dev/null 2>&1 || rabbitmqctl change_password \"$1\" \"$2\" >/dev/null\n");
        script.Append("  rabbitmqctl set_permissions -p / \"$1\" '.*' '.*' '.*' >/dev/null\n");
        script.Append("}\n");
        foreach (var project in BrokerClients(model, rabbitMq))
        {
            script.Append(CultureInfo.InvariantCulture, $"user {BrokerUser(project)} \"${BrokerPasswordVariable(project)}\"\n");
        }
        return new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = Metadata(BrokerUsersConfigMapName(rabbitMq), Components.Broker),
            Data = new SortedDictionary<string, string>(StringComparer.Ordinal) { [BrokerUsersScript] = script.ToString() },
        };
    }

    /// <summary>Gives the broker's container the services' passwords and the hook that runs the script; returns the script's volume.</summary>
    private static V1Volume AddBrokerUsers(DeploymentModel model, DeployedRabbitMq rabbitMq, V1Container container)
    {
        foreach (var project in BrokerClients(model, rabbitMq))
        {
            container.Env.Add(InfrastructureSecretEnv(BrokerPasswordVariable(project), BrokerPasswordParameter(project, rabbitMq)));
        }
        container.VolumeMounts.Add(new V1VolumeMount { Name = "users", MountPath = BrokerUsersMount, ReadOnlyProperty = true });
        container.Lifecycle = new V1Lifecycle
        {
            PostStart = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["/bin/sh", $"{BrokerUsersMount}/{BrokerUsersScript}"] } },
        };
        return new V1Volume { Name = "users", ConfigMap = new V1ConfigMapVolumeSource { Name = BrokerUsersConfigMapName(rabbitMq) } };
    }
}
