extern alias goals;

using System.Net.Http.Json;
using Aimi.Chat.Api.Data;
using Aimi.Contracts.Chat;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>
/// The real Goals service, on a loopback port, for the Chat service to call, on Chat's RabbitMQ virtual host as in
/// the running system: both services consume <c>ReminderDelivered</c> side by side.
/// </summary>
public sealed class GoalsService() : ServiceHost<goals::Program>(ResourceNames.GoalsDb)
{
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The broker both services share; set before <see cref="InitializeAsync"/>.</summary>
    public string? SharedBroker { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
        SharedBroker is null ? [] : [new($"ConnectionStrings:{ResourceNames.RabbitMq}", SharedBroker)];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        UseKestrel(0);
        StartServer();
        BaseAddress = CreateClient().BaseAddress!;
    }
}

/// <summary>The Chat service under test with its own database, vhost and clock, beside a real Goals service.</summary>
public class ChatHost() : ServiceHost<Program>(ResourceNames.ChatDb)
{
    public GoalsService Goals { get; } = new();
    // A whole second: times derived from it survive PostgreSQL's microseconds.
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    public BusRecorder Bus { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Goals.SharedBroker = VirtualHost.ConnectionString;
        await Goals.InitializeAsync();
        Bus = await BusRecorder.StartAsync(VirtualHost.ConnectionString, typeof(ChatSessionEnded), typeof(ChatMessageRecorded), typeof(Aimi.Contracts.Goals.EventChanged));
        _ = Server;
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new($"services:{ResourceNames.GoalsApi}:http:0", Goals.BaseAddress.ToString().TrimEnd('/')),
        new("AI:Chat:Provider", "local"),
        new("Chat:IdleSweep:Interval", "01:00:00"), // the tests sweep by hand
        .. ChatSettings(),
    ];

    protected virtual IEnumerable<KeyValuePair<string, string?>> ChatSettings() => [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    public HttpClient GoalsClientFor(string userId) => Goals.ClientFor(userId);

    public async Task<T> WithDbAsync<T>(Func<ChatDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<ChatDbContext>());
    }

    protected override async Task BeforeDisposeAsync() => await Bus.DisposeAsync();

    protected override async Task AfterDisposeAsync() => await ((IAsyncLifetime)Goals).DisposeAsync();
}

public static class ChatRequests
{
    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, string content, string? clientMessageId = null, Guid? sessionId = null) =>
        client.PostAsJsonAsync("/chat/send", new { content, clientMessageId, sessionId });
}
