extern alias gateway;
extern alias goals;
extern alias notifications;

using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>
/// Goals, Chat and Notifications in-process on real Kestrel ports behind the real gateway, on one RabbitMQ virtual host
/// and one clock the test moves (the Aspire end-to-end tests run real processes, whose clocks cannot be moved). The
/// clock starts three hours behind the wall clock, so tokens issued at its "now" are valid by either clock.
/// </summary>
public sealed class FollowUpLoop : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-3).ToUnixTimeSeconds()));

    public LoopService<goals::Program> Goals { get; private set; } = null!;
    public LoopService<notifications::Program> Notifications { get; private set; } = null!;
    public LoopService<Program> Chat { get; private set; } = null!;
    public LoopGateway Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Chat's virtual host is the one all three share.
        Chat = new LoopService<Program>(ResourceNames.ChatDb, Time, broker: null);
        await Chat.CreateResourcesAsync();
        var broker = Chat.VirtualHost.ConnectionString;
        Goals = new LoopService<goals::Program>(ResourceNames.GoalsDb, Time, broker);
        await Goals.InitializeAsync();
        Notifications = new LoopService<notifications::Program>(ResourceNames.NotificationsDb, Time, broker);
        await Notifications.InitializeAsync();
        Chat.Settings.Add(new($"services:{ResourceNames.GoalsApi}:http:0", Goals.Address));
        Chat.Settings.Add(new("AI:Chat:Provider", "local"));
        Chat.Settings.Add(new("Chat:IdleSweep:Interval", "01:00:00"));
        Chat.Start();
        Gateway = new LoopGateway(Chat.Address, Goals.Address, Notifications.Address);
        Gateway.Start();
    }

    /// <summary>A gateway client for the user, with a token issued at the moved clock's now.</summary>
    public HttpClient ClientFor(string userId)
    {
        var client = Gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer",
            Aimi.ServiceDefaults.Auth.DevTokens.Create(TestAuth.Options, userId, name: null, Time.GetUtcNow(), TimeSpan.FromHours(6)));
        return client;
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        foreach (var host in new IAsyncLifetime[] { Chat, Notifications, Goals })
        {
            await host.DisposeAsync();
        }
    }
}

/// <summary>One service of the loop: its own database, the shared broker and clock, on a loopback port.</summary>
public sealed class LoopService<TProgram>(string database, TimeProvider time, string? broker) : ServiceHost<TProgram>(database) where TProgram : class
{
    public List<KeyValuePair<string, string?>> Settings { get; } = [];
    public string Address { get; private set; } = null!;

    public Task CreateResourcesAsync() => base.InitializeAsync();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Start();
    }

    public void Start()
    {
        UseKestrel(0);
        StartServer();
        Address = CreateClient().BaseAddress!.ToString().TrimEnd('/');
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
        broker is null ? Settings : [new($"ConnectionStrings:{ResourceNames.RabbitMq}", broker), .. Settings];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton(time));
    }
}

/// <summary>The real gateway in front of the loop's services.</summary>
public sealed class LoopGateway(string chat, string goals, string notifications) : WebApplicationFactory<gateway::Program>
{
    public void Start()
    {
        UseKestrel(0);
        StartServer();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Microsoft.Extensions.Hosting.AimiEnvironments.Testing);
        IEnumerable<KeyValuePair<string, string?>> settings =
        [
            .. TestAuth.Settings,
            new($"services:{ResourceNames.ChatApi}:http:0", chat),
            new($"services:{ResourceNames.GoalsApi}:http:0", goals),
            new($"services:{ResourceNames.NotificationsApi}:http:0", notifications),
            new("Auth:DevTokens", "false"),
        ];
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
