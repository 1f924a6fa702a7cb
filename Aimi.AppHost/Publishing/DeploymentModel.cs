using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Aimi.AppHost.Publishing;

/// <summary>A resource of the Aspire model as the Kubernetes generator sees it.</summary>
public abstract record Deployed(string Name);

public sealed record DeployedPostgres(string Name, string Image) : Deployed(Name);

public sealed record DeployedDatabase(string Name, DeployedPostgres Server) : Deployed(Name);

public sealed record DeployedRedis(string Name, string Image) : Deployed(Name);

public sealed record DeployedRabbitMq(string Name, string Image) : Deployed(Name);

/// <summary>A service project; <see cref="IsGateway"/> marks the one with an external endpoint.</summary>
/// <param name="ProjectPath">The project file relative to the repository root, with forward slashes.</param>
/// <param name="ValidatesTokens">Given the signing key in the model: the gateway and the services, not the web client's host.</param>
/// <param name="InlineSocketCompletions">Whether it runs socket completions on the event thread (<see cref="AimiResources.InlineSocketCompletions"/>).</param>
public sealed record DeployedProject(string Name, string ProjectPath, IReadOnlyList<Deployed> References, bool IsGateway, bool ValidatesTokens,
    bool InlineSocketCompletions) : Deployed(Name);

/// <summary>A reference to another project by name.</summary>
public sealed record DeployedProjectReference(string Name) : Deployed(Name);

/// <summary>
/// The publish-mode Aspire model reduced to what the manifests need, in the model's declaration order: Aspire's PostgreSQL,
/// database, Redis and RabbitMQ resources with their images, and every project with what it references (<c>WithReference</c>).
/// </summary>
public sealed record DeploymentModel(IReadOnlyList<Deployed> Resources)
{
    public IEnumerable<DeployedProject> Projects => Resources.OfType<DeployedProject>();

    public IEnumerable<DeployedDatabase> Databases => Resources.OfType<DeployedDatabase>();

    public static DeploymentModel From(DistributedApplicationModel model, string repositoryRoot)
    {
        var servers = new Dictionary<IResource, Deployed>();
        var resources = new List<Deployed>();
        foreach (var resource in model.Resources)
        {
            Deployed? deployed = resource switch
            {
                PostgresServerResource postgres => new DeployedPostgres(postgres.Name, Image(postgres)),
                PostgresDatabaseResource database => new DeployedDatabase(database.Name, (DeployedPostgres)servers[database.Parent]),
                RedisResource redis => new DeployedRedis(redis.Name, Image(redis)),
                RabbitMQServerResource rabbitMq => new DeployedRabbitMq(rabbitMq.Name, Image(rabbitMq)),
                ProjectResource project => Project(project, repositoryRoot, servers),
                ParameterResource => null,
                _ => throw new InvalidOperationException($"The Kubernetes generator has no mapping for '{resource.Name}' ({resource.GetType().Name})."),
            };
            if (deployed is not null)
            {
                servers[resource] = deployed;
                resources.Add(deployed);
            }
        }
        return new DeploymentModel(resources);
    }

    private static DeployedProject Project(ProjectResource project, string repositoryRoot, Dictionary<IResource, Deployed> declared)
    {
        var references = project.Annotations.OfType<ResourceRelationshipAnnotation>()
            // Parameters (the signing key) become Secret references of their own in the manifests.
            .Where(r => r.Type == "Reference" && r.Resource is not ParameterResource)
            .Select(r => r.Resource is ProjectResource other
                ? new DeployedProjectReference(other.Name)
                : declared.TryGetValue(r.Resource, out var resource)
                    ? resource
                    : throw new InvalidOperationException($"{project.Name} references '{r.Resource.Name}', declared after it or unknown to the generator."))
            .DistinctBy(r => r.Name)
            .ToList();
        var path = Path.GetRelativePath(repositoryRoot, project.GetProjectMetadata().ProjectPath).Replace('\\', '/');
        var external = project.Annotations.OfType<EndpointAnnotation>().Any(e => e.IsExternal);
        var signingKey = project.Annotations.OfType<ResourceRelationshipAnnotation>()
            .Any(r => r.Resource is ParameterResource { Name: AimiResources.SigningKeyParameter });
        return new DeployedProject(project.Name, path, references, external, signingKey, AimiResources.InlineSocketCompletionsAnnotation.Of(project));
    }

    private static string Image(ContainerResource container) =>
        container.TryGetLastAnnotation<ContainerImageAnnotation>(out var image)
            ? $"{image.Registry}/{image.Image}:{image.Tag}"
            : throw new InvalidOperationException($"{container.Name} has no image.");
}
