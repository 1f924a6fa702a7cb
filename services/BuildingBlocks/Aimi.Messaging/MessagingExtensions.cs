using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aimi.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// MassTransit over RabbitMQ (connection string <paramref name="connectionName"/>, an <c>amqp://user:pass@host:port/vhost</c>
    /// URI as Aspire passes it), kebab-case endpoints prefixed with <paramref name="service"/>, and the transactional outbox
    /// relay for <typeparamref name="TDbContext"/>. Register the DbContext with <see cref="AddOutboxInterceptor"/> so commits
    /// wake the relay.
    /// </summary>
    /// <param name="service">
    /// The service's short name (<c>goals</c>, <c>chat</c>): every queue it consumes from starts with it, so two services
    /// with a consumer of the same name each get their own queue (and each its own copy of every message). Defaults to
    /// the name in the application's <c>Aimi.&lt;Name&gt;.Api</c>, so no service can end up without one.
    /// </param>
    public static IHostApplicationBuilder AddAimiMessaging<TDbContext>(
        this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator>? configureConsumers = null,
        string connectionName = "rabbitmq",
        string? service = null) where TDbContext : DbContext
    {
        service ??= ServiceEndpointNames.ServiceOf(builder.Environment.ApplicationName);
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"Connection string '{connectionName}' is missing (set ConnectionStrings__{connectionName}, e.g. amqp://guest:guest@localhost:5672).");
        var broker = RabbitMqAddress.Parse(connectionString);

        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("Outbox");
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<OutboxNotifyInterceptor>();
        builder.Services.AddHostedService<OutboxRelay<TDbContext>>();
        builder.Services.AddSingleton(services => new ErrorQueueScrubber(broker, services.GetRequiredService<ILogger<ErrorQueueScrubber>>()));

        // The service starts without waiting for the broker and connects when it can; readiness waits for the first
        // connection only for a while (BrokerReadinessCheck), and a later outage leaves it ready: the outbox buffers.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(options =>
        {
            options.WaitUntilStarted = false;
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddOptions<BrokerReadinessOptions>().BindConfiguration("Messaging");
        builder.Services.AddSingleton<BrokerReadinessCheck>();
        builder.Services.AddHealthChecks().AddCheck<BrokerReadinessCheck>("broker-readiness", tags: [ServiceDefaultsExtensions.ReadinessTag]);

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(ServiceEndpointNames.Formatter(service));
            // MassTransit would report each bus's set-up (its consumers, endpoints and hosts) to usage-tracking.masstransit.io at
            // start: nothing about our users leaves the system unasked, and the box may have no way out at all.
            bus.DisableUsageTelemetry();
            configureConsumers?.Invoke(bus);
            // Reported, never failing readiness: a lost connection shows as Degraded (answered 200).
            bus.ConfigureHealthCheckOptions(health => health.MinimalFailureStatus = HealthStatus.Degraded);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(broker.Host, broker.Port, broker.VirtualHost, host =>
                {
                    host.Username(broker.Username);
                    host.Password(broker.Password);
                    host.PublisherConfirmation = true;
                    host.ConnectionName(builder.Environment.ApplicationName);
                });
                // Learns the service's queues as they are configured, so an erasure can scrub their error queues.
                rabbit.ConnectEndpointConfigurationObserver(context.GetRequiredService<ErrorQueueScrubber>());
                rabbit.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>Adds the interceptor that wakes the outbox relay after a commit; call inside <c>AddDbContext</c>.</summary>
    public static DbContextOptionsBuilder AddOutboxInterceptor(this DbContextOptionsBuilder options, IServiceProvider services) =>
        options.AddInterceptors(services.GetRequiredService<OutboxNotifyInterceptor>());
}

/// <summary>Kebab-case endpoint names that start with the owning service: <c>ReminderDeliveredConsumer</c> in Goals → <c>goals-reminder-delivered</c>.</summary>
public static class ServiceEndpointNames
{
    public static IEndpointNameFormatter Formatter(string service) =>
        // MassTransit's prefix is cased like the type names it precedes, then the whole name is kebab-cased.
        new KebabCaseEndpointNameFormatter(string.Concat(Valid(service).Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..])), includeNamespace: false);

    /// <summary><c>Aimi.Goals.Api</c> → <c>goals</c>, <c>Aimi.Notifications.Api</c> → <c>notifications</c>.</summary>
    public static string ServiceOf(string applicationName)
    {
        var parts = applicationName.Split('.');
        return parts is ["Aimi", var name, "Api"] && name.Length > 0
            ? Valid(string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? $"-{char.ToLowerInvariant(c)}" : $"{char.ToLowerInvariant(c)}")))
            : throw new InvalidOperationException($"Cannot name the queues of '{applicationName}'; pass AddAimiMessaging(service: \"<name>\").");
    }

    private static string Valid(string service) =>
        service.Length > 0 && service.Split('-').All(w => w.Length > 0 && w.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9')))
            ? service
            : throw new ArgumentException($"'{service}' is not a kebab-case service name (e.g. goals, chat).", nameof(service));
}

/// <summary>An <c>amqp://</c> connection string taken apart for MassTransit.</summary>
public sealed record RabbitMqAddress(string Host, ushort Port, string VirtualHost, string Username, string Password)
{
    public static RabbitMqAddress Parse(string connectionString)
    {
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || (uri.Scheme != "amqp" && uri.Scheme != "rabbitmq"))
        {
            throw new InvalidOperationException("The RabbitMQ connection string must be an amqp:// URI, e.g. amqp://guest:guest@localhost:5672/.");
        }
        var credentials = uri.UserInfo.Split(':', 2);
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        return new RabbitMqAddress(
            uri.Host,
            (ushort)(uri.IsDefaultPort || uri.Port < 0 ? 5672 : uri.Port),
            string.IsNullOrEmpty(vhost) ? "/" : vhost,
            credentials.Length > 0 && credentials[0].Length > 0 ? Uri.UnescapeDataString(credentials[0]) : "guest",
            credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : "guest");
    }

    /// <summary>A plain RabbitMQ client's factory for this address, for work below MassTransit (reading a queue message by message).</summary>
    public RabbitMQ.Client.ConnectionFactory ConnectionFactory() => new()
    {
        HostName = Host,
        Port = Port,
        VirtualHost = VirtualHost,
        UserName = Username,
        Password = Password,
    };
}
