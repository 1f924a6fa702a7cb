using System.Text.Json;
using System.Text.Json.Nodes;
using Aimi.AppHost.Hosting;

namespace Aimi.AppHost.Publishing;

/// <summary>
/// The topology as Aspire's published manifest (<c>aspire-manifest.json</c>, schema aspire-8.0), so Aspire deployment tooling such as
/// aspirate can consume it: projects as <c>project.v0</c>, servers as <c>container.v0</c> with connection-string expressions, databases as
/// <c>value.v0</c>, passwords and the signing key as generated secret <c>parameter.v0</c> inputs.
/// </summary>
public static class AspireManifest
{
    public const string Schema = "https://json.schemastore.org/aspire-8.0.json";
    public const string SigningKeyParameter = "auth-signing-key";

    public const string PostgresImage = "docker.io/pgvector/pgvector:pg15";
    public const string RedisImage = "docker.io/library/redis:7.4";
    public const string RabbitMqImage = "docker.io/library/rabbitmq:3.13-management";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <param name="manifestToRoot">The repository root seen from the manifest's folder (project paths are relative to the manifest).</param>
    public static string Write(AppModel model, string manifestToRoot)
    {
        var resources = new JsonObject();
        var parameters = new List<(string Name, int MinLength)>();
        foreach (var resource in model.Resources)
        {
            switch (resource)
            {
                case PostgresServerResource postgres:
                    resources[postgres.Name] = Postgres(postgres.Name);
                    parameters.Add((PasswordParameter(postgres.Name), 22));
                    break;
                case PostgresDatabaseResource database:
                    resources[database.Name] = new JsonObject
                    {
                        ["type"] = "value.v0",
                        ["connectionString"] = $"{{{database.Server.Name}.connectionString}};Database={database.Name}",
                    };
                    break;
                case RedisResource redis:
                    resources[redis.Name] = Redis(redis.Name);
                    parameters.Add((PasswordParameter(redis.Name), 22));
                    break;
                case RabbitMqResource rabbitMq:
                    resources[rabbitMq.Name] = RabbitMq(rabbitMq.Name);
                    parameters.Add((PasswordParameter(rabbitMq.Name), 22));
                    break;
                case ProjectResource project:
                    resources[project.Name] = Project(project, manifestToRoot);
                    break;
                default:
                    throw new InvalidOperationException($"The manifest has no mapping for {resource.Kind} '{resource.Name}'.");
            }
        }
        if (model.Projects.Any())
        {
            // HMAC-SHA256 keys must be at least 32 bytes; the services refuse shorter ones.
            parameters.Add((SigningKeyParameter, 48));
        }
        foreach (var (name, minLength) in parameters)
        {
            resources[name] = SecretParameter(name, minLength);
        }

        var manifest = new JsonObject { ["$schema"] = Schema, ["resources"] = resources };
        return manifest.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";
    }

    public static string PasswordParameter(string server) => $"{server}-password";

    private static JsonObject Project(ProjectResource project, string manifestToRoot)
    {
        var env = new JsonObject
        {
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES"] = "true",
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES"] = "true",
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory",
            ["OTEL_SERVICE_NAME"] = project.Name,
            ["HTTP_PORTS"] = $"{{{project.Name}.bindings.http.targetPort}}",
            ["Auth__SigningKey"] = $"{{{SigningKeyParameter}.value}}",
        };
        foreach (var reference in project.References)
        {
            switch (reference)
            {
                case PostgresDatabaseResource or RedisResource or RabbitMqResource:
                    env[$"ConnectionStrings__{reference.Name}"] = $"{{{reference.Name}.connectionString}}";
                    break;
                case ProjectReferenceResource other:
                    env[$"services__{other.Name}__http__0"] = $"{{{other.Name}.bindings.http.url}}";
                    break;
                default:
                    throw new InvalidOperationException($"{project.Name} cannot reference {reference.Kind} '{reference.Name}'.");
            }
        }
        foreach (var (key, value) in project.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            env[key] = value;
        }

        var http = Binding("http", KubernetesManifests.ContainerPort);
        if (project.IsGateway)
        {
            http["external"] = true;
        }
        return new JsonObject
        {
            ["type"] = "project.v0",
            ["path"] = Path.Combine(manifestToRoot, project.ProjectPath).Replace('\\', '/'),
            ["env"] = env,
            ["bindings"] = new JsonObject { ["http"] = http },
        };
    }

    private static JsonObject Postgres(string name) => new()
    {
        ["type"] = "container.v0",
        ["connectionString"] = $"Host={{{name}.bindings.tcp.host}};Port={{{name}.bindings.tcp.port}};Username=postgres;Password={{{PasswordParameter(name)}.value}}",
        ["image"] = PostgresImage,
        ["env"] = new JsonObject
        {
            ["POSTGRES_HOST_AUTH_METHOD"] = "scram-sha-256",
            ["POSTGRES_INITDB_ARGS"] = "--auth-host=scram-sha-256 --auth-local=scram-sha-256",
            ["POSTGRES_USER"] = "postgres",
            ["POSTGRES_PASSWORD"] = $"{{{PasswordParameter(name)}.value}}",
        },
        ["bindings"] = new JsonObject { ["tcp"] = Binding("tcp", KubernetesManifests.PostgresPort) },
        ["volumes"] = new JsonArray(new JsonObject
        {
            ["name"] = $"aimi-{name}-data",
            ["target"] = "/var/lib/postgresql/data",
            ["readOnly"] = false,
        }),
    };

    private static JsonObject Redis(string name) => new()
    {
        ["type"] = "container.v0",
        ["connectionString"] = $"{{{name}.bindings.tcp.host}}:{{{name}.bindings.tcp.port}},password={{{PasswordParameter(name)}.value}}",
        ["image"] = RedisImage,
        ["entrypoint"] = "/bin/sh",
        ["args"] = new JsonArray("-c", "redis-server --requirepass $REDIS_PASSWORD"),
        ["env"] = new JsonObject { ["REDIS_PASSWORD"] = $"{{{PasswordParameter(name)}.value}}" },
        ["bindings"] = new JsonObject { ["tcp"] = Binding("tcp", KubernetesManifests.RedisPort) },
    };

    private static JsonObject RabbitMq(string name) => new()
    {
        ["type"] = "container.v0",
        ["connectionString"] = $"amqp://guest:{{{PasswordParameter(name)}.value}}@{{{name}.bindings.tcp.host}}:{{{name}.bindings.tcp.port}}",
        ["image"] = RabbitMqImage,
        ["env"] = new JsonObject
        {
            ["RABBITMQ_DEFAULT_USER"] = "guest",
            ["RABBITMQ_DEFAULT_PASS"] = $"{{{PasswordParameter(name)}.value}}",
        },
        ["bindings"] = new JsonObject { ["tcp"] = Binding("tcp", KubernetesManifests.RabbitMqPort) },
    };

    private static JsonObject Binding(string scheme, int targetPort) => new()
    {
        ["scheme"] = scheme,
        ["protocol"] = "tcp",
        ["transport"] = scheme,
        ["targetPort"] = targetPort,
    };

    // No special characters: a ';' would end a Npgsql value and '@' or '/' would break the amqp:// URI.
    private static JsonObject SecretParameter(string name, int minLength)
    {
        var generate = new JsonObject { ["minLength"] = minLength, ["special"] = false };
        return new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{name}.inputs.value}}",
            ["inputs"] = new JsonObject
            {
                ["value"] = new JsonObject
                {
                    ["type"] = "string",
                    ["secret"] = true,
                    ["default"] = new JsonObject { ["generate"] = generate },
                },
            },
        };
    }
}
