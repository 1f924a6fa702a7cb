using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Aimi.Infrastructure;
using Npgsql;

namespace Aimi.AppHost.Hosting;

/// <summary>
/// <c>up</c>: local infrastructure, a database per topology database and a RabbitMQ virtual host for the instance, then every
/// project from its build output with Aspire-style environment, health waits, a live dashboard, and a clean stop on Ctrl-C/SIGTERM.
/// </summary>
public static class UpCommand
{
    /// <summary>Printed once every project answers <c>/health</c>; tools wait for this line.</summary>
    public const string ReadyPrefix = "Aimi is up: gateway ";

    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(AppModel model, LaunchOptions options, CancellationToken stop)
    {
        var root = RepositoryRoot.Find();
        var environment = new LaunchEnvironment(
            root,
            BuildConfiguration,
            LocalInfrastructure.PostgresServer,
            LocalInfrastructure.Redis,
            LocalInfrastructure.RabbitMq,
            DevSigningKey.GetOrCreate(root),
            Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var plan = LaunchPlan.Create(model, options, environment);

        var missing = plan.Projects.Select(Problem).OfType<string>().ToList();
        if (missing.Count > 0)
        {
            Console.Error.WriteLine(string.Join(Environment.NewLine, missing));
            return 1;
        }

        var dashboard = new Dashboard(Rows(model, plan, environment), options.Plain);
        using var dashboardStop = new CancellationTokenSource();
        var dashboardTask = dashboard.RunAsync(dashboardStop.Token);
        var logs = new LogFiles(LogDirectory(root, options));
        await using var supervisor = new ProcessSupervisor();
        supervisor.Output += (process, line) =>
        {
            logs.Write(process.Name, line);
            dashboard.Log(process.Name, line);
        };
        supervisor.Exited += process =>
            dashboard.SetState(process.Name, process.Stopping ? ResourceState.Stopped : ResourceState.Exited, $"exit code {process.ExitCode}");

        try
        {
            await StartInfrastructureAsync(model, plan, dashboard, stop);

            foreach (var project in plan.Projects)
            {
                supervisor.Start(project.Resource.Name, StartInfo(project));
                dashboard.SetState(project.Resource.Name, ResourceState.Starting);
            }

            var results = await Task.WhenAll(plan.Projects.Select(async project =>
            {
                var process = supervisor.Processes.First(p => p.Name == project.Resource.Name);
                var result = await HealthProbe.WaitAsync(project.HealthUrl, process, options.HealthTimeout, stop);
                if (result.Healthy)
                {
                    dashboard.SetState(project.Resource.Name, ResourceState.Healthy);
                }
                else if (!process.HasExited)
                {
                    dashboard.SetState(project.Resource.Name, ResourceState.Unhealthy);
                }
                return (project, process, result);
            }));

            var failures = results.Where(r => !r.result.Healthy).ToList();
            foreach (var (project, process, result) in failures)
            {
                dashboard.Message(
                    $"{project.Resource.Name} failed to start: {result.Detail}. Last lines of its log ({logs.PathOf(project.Resource.Name)}):"
                    + Environment.NewLine + string.Join(Environment.NewLine, process.Tail(30).Select(l => "    " + l)));
            }
            if (failures.Count > 0)
            {
                return 1;
            }

            dashboard.Message($"{ReadyPrefix}{plan.Gateway?.Url.ToString().TrimEnd('/') ?? "(none in the topology)"}");
            await Task.Delay(Timeout.Infinite, stop);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or NpgsqlException)
        {
            dashboard.Message($"Aimi could not start: {e.Message}");
            return 1;
        }
        finally
        {
            foreach (var process in supervisor.Processes.Where(p => !p.HasExited))
            {
                dashboard.SetState(process.Name, ResourceState.Stopping);
            }
            await supervisor.StopAllAsync(StopGrace);
            await dashboardStop.CancelAsync();
            await dashboardTask;
            logs.Dispose();
        }
    }

    /// <summary>Where each service's output is kept: <c>.aimi/logs/&lt;instance or "default"&gt;/&lt;name&gt;.log</c>.</summary>
    public static string LogDirectory(string repositoryRoot, LaunchOptions options) =>
        Path.Combine(repositoryRoot, ".aimi", "logs", options.Instance ?? "default");

    /// <summary>The configuration this AppHost was built with; the services are run from the same one.</summary>
    public static string BuildConfiguration =>
        typeof(UpCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static async Task StartInfrastructureAsync(AppModel model, LaunchPlan plan, Dashboard dashboard, CancellationToken stop)
    {
        var servers = model.Resources.Where(r => r is PostgresServerResource or RedisResource or RabbitMqResource).ToList();
        foreach (var server in servers)
        {
            dashboard.SetState(server.Name, ResourceState.Starting);
        }
        await LocalInfrastructure.EnsureAsync(stop);
        foreach (var server in servers)
        {
            dashboard.SetState(server.Name, ResourceState.Running);
        }
        foreach (var database in model.Databases)
        {
            await LocalInfrastructure.EnsureDatabaseAsync(plan.Databases[database.Name], stop);
            dashboard.SetState(database.Name, ResourceState.Running);
        }
        if (model.Resources.OfType<RabbitMqResource>().Any())
        {
            await LocalInfrastructure.EnsureVirtualHostAsync(plan.VirtualHost, stop);
        }
    }

    private static string? Problem(ProjectLaunch project) =>
        !File.Exists(project.ProjectFile)
            ? $"{project.Resource.Name}: the project {project.ProjectFile} does not exist."
            : !File.Exists(project.AssemblyPath)
                ? $"{project.Resource.Name}: {project.AssemblyPath} is not built; run `dotnet build Aimi.AppHost -c {BuildConfiguration}` (dotnet run --project Aimi.AppHost builds it)."
                : null;

    private static ProcessStartInfo StartInfo(ProjectLaunch project)
    {
        var start = new ProcessStartInfo(DotnetHost) { WorkingDirectory = project.WorkingDirectory };
        start.ArgumentList.Add(project.AssemblyPath);
        foreach (var (key, value) in project.Environment)
        {
            start.Environment[key] = value;
        }
        return start;
    }

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static IEnumerable<(string Name, string Kind, string Url)> Rows(AppModel model, LaunchPlan plan, LaunchEnvironment environment)
    {
        var postgres = new NpgsqlConnectionStringBuilder(environment.PostgresServer);
        var rabbit = new Uri(plan.RabbitMqConnectionString);
        foreach (var resource in model.Resources)
        {
            yield return resource switch
            {
                PostgresServerResource => (resource.Name, resource.Kind, $"{postgres.Host}:{postgres.Port}"),
                PostgresDatabaseResource database => (resource.Name, resource.Kind, $"{postgres.Host}:{postgres.Port}/{plan.Databases[database.Name]}"),
                RedisResource => (resource.Name, resource.Kind, environment.Redis),
                RabbitMqResource => (resource.Name, resource.Kind, $"amqp://{rabbit.Host}:{rabbit.Port}{rabbit.AbsolutePath}"),
                ProjectResource project => (resource.Name, resource.Kind, plan.Projects.First(p => p.Resource == project).Url.ToString().TrimEnd('/')),
                _ => (resource.Name, resource.Kind, ""),
            };
        }
    }

    /// <summary>Each service's output also goes to <c>.aimi/logs/&lt;instance&gt;/&lt;name&gt;.log</c>, kept after the run.</summary>
    private sealed class LogFiles(string directory) : IDisposable
    {
        private readonly ConcurrentDictionary<string, StreamWriter> _writers = new();

        public string PathOf(string name) => Path.Combine(directory, name + ".log");

        public void Write(string name, string line)
        {
            var writer = _writers.GetOrAdd(name, n =>
            {
                Directory.CreateDirectory(directory);
                return new StreamWriter(PathOf(n), append: false) { AutoFlush = true };
            });
            lock (writer)
            {
                writer.WriteLine(line);
            }
        }

        public void Dispose()
        {
            foreach (var writer in _writers.Values)
            {
                lock (writer)
                {
                    writer.Dispose();
                }
            }
        }
    }
}
