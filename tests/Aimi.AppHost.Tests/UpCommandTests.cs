using Aimi.Testing;
using System.Net.Http.Json;
using System.Net.Sockets;
using Aimi.AppHost.Hosting;
using Aimi.Infrastructure;

namespace Aimi.AppHost.Tests;

/// <summary>
/// Runs <c>up</c> for real against the local infrastructure, with two instances of a tiny service built from this
/// repository, and checks what they were started with, that they can find each other, and that nothing survives the stop.
/// </summary>
public class UpCommandTests
{
    private const string EchoProject = "tests/Aimi.AppHost.Tests.EchoService/Aimi.AppHost.Tests.EchoService.csproj";

    [Fact]
    public async Task Starts_infrastructure_and_projects_with_their_settings_then_stops_them_all()
    {
        var app = new AppModelBuilder();
        var database = app.AddPostgres("postgres").AddDatabase("echodb");
        var rabbitMq = app.AddRabbitMq("rabbitmq");
        var echo = app.AddProject("echo-api", EchoProject).WithReference(database, rabbitMq);
        app.AddProject("edge", EchoProject).AsGateway().WithReference(echo);
        var portBase = Random.Shared.Next(20000, 30000);
        var instance = $"apphost{Guid.NewGuid():N}"[..20];
        var options = LaunchOptions.Parse(["--port-base", $"{portBase}", "--gateway-port", $"{portBase + 50}", "--instance", instance, "--plain"]);

        using var stop = new CancellationTokenSource();
        var run = UpCommand.RunAsync(app.Build(), options, stop.Token);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var gateway = new Uri($"http://localhost:{portBase + 50}");
        var api = new Uri($"http://localhost:{portBase + 1}");
        try
        {
            await WaitHealthyAsync(http, gateway, run);
            await WaitHealthyAsync(http, api, run);

            var gatewayEnv = await http.GetFromJsonAsync<Dictionary<string, string?>>(new Uri(gateway, "/env"));
            var apiEnv = await http.GetFromJsonAsync<Dictionary<string, string?>>(new Uri(api, "/env"));
            Assert.Equal("edge", gatewayEnv!["serviceName"]);
            Assert.Equal("true", gatewayEnv["devTokens"]);
            Assert.Equal("True", gatewayEnv["hasSigningKey"]);
            Assert.Equal("Development", gatewayEnv["environment"]);
            Assert.Equal("echo-api", apiEnv!["serviceName"]);
            Assert.Null(apiEnv["devTokens"]);
            Assert.Contains($"Database={instance}_echodb", await http.GetStringAsync(new Uri(api, "/connection-strings/echodb")), StringComparison.Ordinal);
            Assert.EndsWith($"/{instance}_aimi", await http.GetStringAsync(new Uri(api, "/connection-strings/rabbitmq")), StringComparison.Ordinal);
            // The gateway reaches the api by its topology name, through service discovery.
            Assert.Contains("\"serviceName\":\"echo-api\"", await http.GetStringAsync(new Uri(gateway, "/call/echo-api")), StringComparison.Ordinal);

            var pids = new[] { int.Parse(gatewayEnv["pid"]!, System.Globalization.CultureInfo.InvariantCulture), int.Parse(apiEnv["pid"]!, System.Globalization.CultureInfo.InvariantCulture) };
            await stop.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));

            Assert.All(pids, pid => Assert.False(ProcessSupervisor.IsAlive(pid), $"pid {pid} survived"));
            Assert.False(await Ports.IsListeningAsync(portBase + 50));
            Assert.False(await Ports.IsListeningAsync(portBase + 1));
        }
        finally
        {
            await stop.CancelAsync();
            await run;
            await LocalInfrastructure.DropDatabaseAsync($"{instance}_echodb");
            await LocalInfrastructure.DeleteVirtualHostAsync($"{instance}_aimi");
            Directory.Delete(UpCommand.LogDirectory(RepositoryRoot.Find(), options), recursive: true);
        }
    }

    [Fact]
    public async Task A_service_that_dies_on_start_fails_the_run_and_the_others_are_stopped()
    {
        var app = new AppModelBuilder();
        var healthy = app.AddProject("healthy-api", EchoProject);
        app.AddProject("broken-api", EchoProject).WithEnvironment("Echo__FailOnStart", "true").WithReference(healthy);
        var portBase = Random.Shared.Next(30000, 40000);
        var options = LaunchOptions.Parse(["--port-base", $"{portBase}", "--gateway-port", $"{portBase + 50}", "--instance", $"broken{Guid.NewGuid():N}"[..16], "--plain"]);

        var exitCode = await UpCommand.RunAsync(app.Build(), options, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(1, exitCode);
        Assert.False(await Ports.IsListeningAsync(portBase + 1));
        var log = Path.Combine(UpCommand.LogDirectory(RepositoryRoot.Find(), options), "broken-api.log");
        Assert.Contains("Echo: failing on start as configured.", await File.ReadAllTextAsync(log), StringComparison.Ordinal);
        Directory.Delete(UpCommand.LogDirectory(RepositoryRoot.Find(), options), recursive: true);
    }

    [Fact]
    public async Task Refuses_to_start_when_a_project_is_missing()
    {
        var app = new AppModelBuilder();
        app.AddProject("ghost", "services/Ghost/Aimi.Ghost.Api.csproj");

        var exitCode = await UpCommand.RunAsync(app.Build(), LaunchOptions.Parse(["--plain"]), CancellationToken.None);

        Assert.Equal(1, exitCode);
    }

    private static async Task WaitHealthyAsync(HttpClient http, Uri service, Task<int> run)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            Assert.False(run.IsCompleted, $"up ended early with exit code {(run.IsCompleted ? run.Result : 0)}");
            try
            {
                using var response = await http.GetAsync(new Uri(service, "/health"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, $"{service} did not become healthy");
            await Task.Delay(200);
        }
    }

}
