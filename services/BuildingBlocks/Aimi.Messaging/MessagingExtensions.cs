using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aimi.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// MassTransit over RabbitMQ (connection string <paramref name="connectionName"/>, an <c>amqp://user:pass@host:port/vhost</c>
    /// URI as Aspire passes it), kebab-case endpoints, and the transactional outbox relay for <typeparamref name="TDbContext"/>.
    /// Register the DbContext with <see cref="AddOutboxInterceptor"/> so commits wake the relay.
    /// </summary>
    public static IHostApplicationBuilder AddAimiMessaging<TDbContext>(
        this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator>? configureConsumers = null,
        string connectionName = "rabbitmq") where TDbContext : DbContext
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"Connection string '{connectionName}' is missing (set ConnectionStrings__{connectionName}, e.g. amqp://guest:guest@localhost:5672).");
        var broker = RabbitMqAddress.Parse(connectionString);

        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("Outbox");
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<OutboxNotifyInterceptor>();
        builder.Services.AddHostedService<OutboxRelay<TDbContext>>();

        builder.Services.AddOptions<MassTransitHostOptions>().Configure(options =>
        {
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(60);
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            configureConsumers?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(broker.Host, broker.Port, broker.VirtualHost, host =>
                {
                    host.Username(broker.Username);
                    host.Password(broker.Password);
                    host.PublisherConfirmation = true;
                    host.ConnectionName(builder.Environment.ApplicationName);
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>Adds the interceptor that wakes the outbox relay after a commit; call inside <c>AddDbContext</c>.</summary>
    public static DbContextOptionsBuilder AddOutboxInterceptor(this DbContextOptionsBuilder options, IServiceProvider services) =>
        options.AddInterceptors(services.GetRequiredService<OutboxNotifyInterceptor>());
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
}
