namespace Aimi.AppHost.Hosting;

/// <summary>A named thing in the topology: a server, a database on it, or a .NET project the AppHost runs.</summary>
public abstract record Resource(string Name)
{
    public abstract string Kind { get; }
}

public sealed record PostgresServerResource(string Name) : Resource(Name)
{
    public override string Kind => "postgres";
}

public sealed record PostgresDatabaseResource(string Name, PostgresServerResource Server) : Resource(Name)
{
    public override string Kind => "database";
}

public sealed record RedisResource(string Name) : Resource(Name)
{
    public override string Kind => "redis";
}

public sealed record RabbitMqResource(string Name) : Resource(Name)
{
    public override string Kind => "rabbitmq";
}

/// <summary>A service project, run from its build output; <see cref="IsGateway"/> marks the public entry point.</summary>
public sealed record ProjectResource(
    string Name,
    string ProjectPath,
    IReadOnlyList<Resource> References,
    bool IsGateway,
    IReadOnlyDictionary<string, string> Environment) : Resource(Name)
{
    public override string Kind => "project";

    /// <summary>The assembly the SDK builds from the project file (the default AssemblyName is the file name).</summary>
    public string AssemblyName => Path.GetFileNameWithoutExtension(ProjectPath);
}

/// <summary>The whole topology, in declaration order (project ports are assigned in this order).</summary>
public sealed record AppModel(IReadOnlyList<Resource> Resources)
{
    public IEnumerable<ProjectResource> Projects => Resources.OfType<ProjectResource>();

    public IEnumerable<PostgresDatabaseResource> Databases => Resources.OfType<PostgresDatabaseResource>();
}

/// <summary>Builds an <see cref="AppModel"/> the way an Aspire <c>DistributedApplicationBuilder</c> does, minus containers.</summary>
public sealed class AppModelBuilder
{
    private readonly List<Resource> _resources = [];
    private readonly List<ProjectBuilder> _projects = [];

    public PostgresServerBuilder AddPostgres(string name) => new(this, Add(new PostgresServerResource(name)));

    public RedisResource AddRedis(string name) => Add(new RedisResource(name));

    public RabbitMqResource AddRabbitMq(string name) => Add(new RabbitMqResource(name));

    /// <param name="projectPath">The project file, relative to the repository root, with forward slashes.</param>
    public ProjectBuilder AddProject(string name, string projectPath)
    {
        var project = new ProjectBuilder(name, projectPath);
        Reserve(name);
        _projects.Add(project);
        _resources.Add(new PlaceholderResource(name));
        return project;
    }

    public AppModel Build()
    {
        var built = _projects.ToDictionary(p => p.Name, p => p.Build());
        return new AppModel(_resources.Select(r => r is PlaceholderResource ? built[r.Name] : r).ToList());
    }

    internal T Add<T>(T resource) where T : Resource
    {
        Reserve(resource.Name);
        _resources.Add(resource);
        return resource;
    }

    private void Reserve(string name)
    {
        if (_resources.Any(r => r.Name == name))
        {
            throw new InvalidOperationException($"The topology already has a resource named '{name}'.");
        }
    }

    // Keeps a project's place in declaration order until its references are complete.
    private sealed record PlaceholderResource(string Name) : Resource(Name)
    {
        public override string Kind => "project";
    }
}

public sealed class PostgresServerBuilder(AppModelBuilder app, PostgresServerResource server)
{
    public PostgresServerResource Resource => server;

    public PostgresDatabaseResource AddDatabase(string name) => app.Add(new PostgresDatabaseResource(name, server));
}

public sealed class ProjectBuilder(string name, string projectPath)
{
    private readonly List<object> _references = [];
    private readonly Dictionary<string, string> _environment = [];
    private bool _isGateway;

    public string Name => name;

    public ProjectBuilder WithReference(params Resource[] resources)
    {
        _references.AddRange(resources);
        return this;
    }

    public ProjectBuilder WithReference(params ProjectBuilder[] projects)
    {
        _references.AddRange(projects);
        return this;
    }

    /// <summary>The public entry point: keeps its own port (8080 by default) and is allowed to issue development tokens.</summary>
    public ProjectBuilder AsGateway()
    {
        _isGateway = true;
        return this;
    }

    /// <summary>An extra setting for this project only (configuration key with <c>__</c> separators), applied last.</summary>
    public ProjectBuilder WithEnvironment(string name, string value)
    {
        _environment[name] = value;
        return this;
    }

    internal ProjectResource Build() => new(
        name,
        projectPath,
        _references.Select(r => r switch
        {
            Resource resource => resource,
            ProjectBuilder project => new ProjectReferenceResource(project.Name),
            _ => throw new InvalidOperationException("Unknown reference."),
        }).ToList(),
        _isGateway,
        new Dictionary<string, string>(_environment));
}

/// <summary>A reference to another project by name (projects may be declared in any order).</summary>
public sealed record ProjectReferenceResource(string Name) : Resource(Name)
{
    public override string Kind => "project";
}
