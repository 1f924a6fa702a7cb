using Npgsql;

namespace Aimi.AppHost.Hosting;

/// <summary>Where the infrastructure is and what the machine provides; everything a plan needs besides the topology and options.</summary>
public sealed record LaunchEnvironment(
    string RepositoryRoot,
    string Configuration,
    string PostgresServer,
    string Redis,
    string RabbitMq,
    string SigningKey,
    string? OtlpEndpoint);

/// <summary>One project as it will be started: command line, port and the Aspire-style environment.</summary>
public sealed record ProjectLaunch(
    ProjectResource Resource,
    int Port,
    Uri Url,
    string ProjectFile,
    string WorkingDirectory,
    string AssemblyPath,
    IReadOnlyDictionary<string, string> Environment)
{
    public Uri HealthUrl => new(Url, "/health");
}

/// <summary>The databases, virtual host and projects of one run, computed from the topology without side effects.</summary>
public sealed record LaunchPlan(
    IReadOnlyDictionary<string, string> Databases,
    string VirtualHost,
    string RabbitMqConnectionString,
    IReadOnlyList<ProjectLaunch> Projects)
{
    public ProjectLaunch? Gateway => Projects.FirstOrDefault(p => p.Resource.IsGateway);

    public static LaunchPlan Create(AppModel model, LaunchOptions options, LaunchEnvironment environment)
    {
        var databases = model.Databases.ToDictionary(d => d.Name, d => options.DatabaseName(d.Name));
        var rabbitMq = $"{environment.RabbitMq.TrimEnd('/')}/{Uri.EscapeDataString(options.VirtualHost)}";

        var ports = new Dictionary<string, int>();
        var next = options.PortBase;
        foreach (var project in model.Projects)
        {
            ports[project.Name] = project.IsGateway ? options.GatewayPort : ++next;
        }
        var duplicate = ports.GroupBy(p => p.Value).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Port {duplicate.Key} would be used by {string.Join(" and ", duplicate.Select(p => p.Key))}; choose another --port-base or --gateway-port.");
        }

        var projects = model.Projects.Select(project =>
        {
            var url = new Uri($"http://localhost:{ports[project.Name]}");
            var env = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["ASPNETCORE_URLS"] = url.ToString().TrimEnd('/'),
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["DOTNET_ENVIRONMENT"] = "Development",
                ["OTEL_SERVICE_NAME"] = project.Name,
                ["Auth__SigningKey"] = environment.SigningKey,
            };
            if (environment.OtlpEndpoint is { Length: > 0 } otlp)
            {
                env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
            }
            if (project.IsGateway)
            {
                env["Auth__DevTokens"] = "true";
            }
            foreach (var reference in project.References)
            {
                switch (reference)
                {
                    case PostgresDatabaseResource database:
                        env[$"ConnectionStrings__{database.Name}"] =
                            new NpgsqlConnectionStringBuilder(environment.PostgresServer) { Database = databases[database.Name] }.ConnectionString;
                        break;
                    case RedisResource redis:
                        env[$"ConnectionStrings__{redis.Name}"] = environment.Redis;
                        break;
                    case RabbitMqResource broker:
                        env[$"ConnectionStrings__{broker.Name}"] = rabbitMq;
                        break;
                    case ProjectReferenceResource other when ports.TryGetValue(other.Name, out var port):
                        env[$"services__{other.Name}__http__0"] = $"http://localhost:{port}";
                        break;
                    case ProjectReferenceResource other:
                        throw new ArgumentException($"{project.Name} references '{other.Name}', which is not a project in the topology.");
                    default:
                        throw new ArgumentException($"{project.Name} cannot reference {reference.Kind} '{reference.Name}'.");
                }
            }
            foreach (var (key, value) in project.Environment)
            {
                env[key] = value;
            }

            var projectFile = Path.GetFullPath(Path.Combine(environment.RepositoryRoot, project.ProjectPath));
            var directory = Path.GetDirectoryName(projectFile)!;
            var assembly = Path.Combine(directory, "bin", environment.Configuration, "net10.0", project.AssemblyName + ".dll");
            return new ProjectLaunch(project, ports[project.Name], url, projectFile, directory, assembly, env);
        }).ToList();

        return new LaunchPlan(databases, options.VirtualHost, rabbitMq, projects);
    }
}
