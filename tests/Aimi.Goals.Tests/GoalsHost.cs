using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Data;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Aimi.Goals.Tests;

/// <summary>
/// The Goals service on its own database and RabbitMQ vhost, with a clock the tests move, and a recorder of
/// everything it publishes. One per test class.
/// </summary>
public class GoalsHost() : ServiceHost<Program>(ResourceNames.GoalsDb)
{
    // Starts on a whole second, so times the tests derive from it survive PostgreSQL's microsecond precision.
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    public BusRecorder Bus { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Bus = await BusRecorder.StartAsync(VirtualHost.ConnectionString,
            typeof(EventChanged), typeof(GoalChanged), typeof(HabitChanged), typeof(UserProfileChanged),
            typeof(EmailConfirmationRequested), typeof(WebhookVerificationRequested));
        _ = Server; // start the service now, so the first test does not pay for it
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    public async Task<T> WithDbAsync<T>(Func<GoalsDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<GoalsDbContext>());
    }

    protected override async Task BeforeDisposeAsync() => await Bus.DisposeAsync();
}
