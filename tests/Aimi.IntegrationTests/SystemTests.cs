using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Aimi.AppHost.Hosting;
using Xunit.Abstractions;

namespace Aimi.IntegrationTests;

/// <summary>
/// The system as a user runs it: <c>dotnet Aimi.AppHost.dll up</c> on its own ports and instance (so the developer's
/// data is untouched), a development token from the gateway, an event created and read back through the gateway,
/// then Ctrl-C, after which no service may still listen or run.
/// </summary>
public class SystemTests(ITestOutputHelper output)
{
    private const int PortBase = 18100;
    private const int GatewayPort = 18080;

    [Fact]
    public async Task AppHost_runs_the_system_end_to_end_and_stops_it_without_leftovers()
    {
        string[] arguments = ["up", "--port-base", $"{PortBase}", "--gateway-port", $"{GatewayPort}", "--instance", $"e2e{Guid.NewGuid():N}"[..15]];
        AppHostProcess? host = null;
        try
        {
            host = await AppHostProcess.StartAsync(arguments, TimeSpan.FromMinutes(4), output.WriteLine);
            Assert.Equal(new Uri($"http://localhost:{GatewayPort}"), host.Gateway);
            var services = ProcessSupervisor.Descendants(host.Pid);
            Assert.NotEmpty(services);

            using var http = new HttpClient { BaseAddress = host.Gateway, Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode);

            var subject = $"e2e-user-{Guid.NewGuid():N}";
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(http, subject));

            var dueAt = DateTimeOffset.UtcNow.Date.AddDays(1).AddHours(12);
            using var created = await http.PostAsJsonAsync(new Uri("/events", UriKind.Relative), new
            {
                type = "task",
                title = "Call the dentist",
                dueAt = new DateTimeOffset(dueAt, TimeSpan.Zero),
                source = "api",
                confirmed = true,
            });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = await created.Content.ReadFromJsonAsync<JsonElement>();
            var id = body.GetProperty("id").GetString();
            Assert.Equal("planned", body.GetProperty("status").GetString());

            var read = await http.GetFromJsonAsync<JsonElement>(new Uri($"/events/{id}", UriKind.Relative));
            Assert.Equal(id, read.GetProperty("id").GetString());
            Assert.Equal("Call the dentist", read.GetProperty("title").GetString());
            Assert.Equal("task", read.GetProperty("type").GetString());

            var agenda = await http.GetStringAsync(new Uri($"/agenda?date={dueAt:yyyy-MM-dd}", UriKind.Relative));
            Assert.Contains(id!, agenda, StringComparison.Ordinal);

            // Another user sees nothing of it, through the same gateway.
            using var stranger = new HttpClient { BaseAddress = host.Gateway };
            stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(stranger, $"e2e-other-{Guid.NewGuid():N}"));
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync(new Uri($"/events/{id}", UriKind.Relative))).StatusCode);

            Assert.Equal(0, await host.StopAsync(TimeSpan.FromSeconds(60)));

            Assert.All(services, pid => Assert.False(ProcessSupervisor.IsAlive(pid), $"service pid {pid} survived the AppHost"));
            foreach (var port in new[] { GatewayPort }.Concat(Enumerable.Range(PortBase + 1, 4)))
            {
                Assert.False(await IsListeningAsync(port), $"port {port} is still open");
            }
        }
        finally
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
            await AppHostProcess.DeleteInstanceDataAsync(LaunchOptions.Parse(arguments));
        }
    }

    private static Task<string> DevTokenAsync(HttpClient http, string subject) => GatewayDevTokens.RequestAsync(http, subject);

    private static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("localhost", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
