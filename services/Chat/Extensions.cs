using Aimi.AI;
using Aimi.Chat.Api.Assistant.Local;
using Aimi.Chat.Api.Clients;
using Aimi.Chat.Api.Consumers;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Endpoints;
using Aimi.Chat.Api.Orchestration;
using Aimi.Chat.Api.Sessions;
using Aimi.Chat.Api.Workers;
using Aimi.Messaging;
using Aimi.Persistence;
using Aimi.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Aimi.Chat.Api;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<ChatDbContext>(ResourceNames.ChatDb);

        // Redis is a cache: the service starts and answers while it is down (abortConnect=false), from PostgreSQL, so its
        // health check reports Degraded (still ready) instead of Aspire's Unhealthy. Its socket I/O runs on the .NET
        // thread pool, not the client's own pool of dedicated threads: this service never blocks a pool thread, and
        // handing every reply from a dedicated thread to the pool cost a pair of thread wake-ups per command.
        builder.AddRedisClient(
            ResourceNames.Redis,
            settings => settings.DisableHealthChecks = true,
            options =>
            {
                options.AbortOnConnectFail = false;
                options.SocketManager = SocketManager.ThreadPool;
            });
        builder.Services.AddHealthChecks()
            .AddCheck<RedisHealthCheck>(ResourceNames.Redis, HealthStatus.Degraded, ["ready"]);

        builder.Services.AddSingleton<SessionCache>();
        builder.Services.AddSingleton<TurnLeases>();
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddOptions<ChatLimitsOptions>().BindConfiguration("Chat:Limits");
        builder.Services.AddSingleton<TurnBudget>();
        builder.Services.AddSingleton<SocketLimiter>();
        builder.Services.AddSingleton<SocketTickets>();
        builder.Services.AddScoped<ChatSessions>();
        builder.Services.AddScoped<ChatTurns>();
        builder.Services.AddScoped<StartingContextAssembler>();
        builder.Services.AddScoped<ConversationOrchestrator>();
        builder.Services.AddOptions<ChatSocketOptions>().BindConfiguration("Chat:Socket");
        builder.Services.AddOptions<IdleSweepOptions>().BindConfiguration("Chat:IdleSweep");
        builder.Services.AddHostedService<IdleSessionSweeper>();

        builder.Services.AddHttpClient<GoalsClient>(http => http.BaseAddress = new Uri($"http://{ResourceNames.GoalsApi}"));
        builder.Services.AddHttpClient<MemoryClient>(http => http.BaseAddress = new Uri($"http://{ResourceNames.MemoryApi}"));

        builder.AddAimiAi(localChatModel: _ => new LocalChatClient());

        builder.AddAimiMessaging<ChatDbContext>(bus =>
        {
            bus.AddConsumer<ReminderDeliveredConsumer, ReminderDeliveredConsumerDefinition>();
            bus.AddConsumer<ReminderPushConsumer, ReminderPushConsumerDefinition>();
            bus.AddConsumer<SessionEndedPushConsumer, SessionEndedPushConsumerDefinition>();
            bus.AddConsumer<MessageClassifiedConsumer, MessageClassifiedConsumerDefinition>();
            bus.AddConsumer<FollowUpDueConsumer, FollowUpDueConsumerDefinition>();
            bus.AddConsumer<FollowUpPushConsumer, FollowUpPushConsumerDefinition>();
            bus.AddConsumer<AccountErasureRequestedConsumer, AccountErasureRequestedConsumerDefinition>();
            bus.AddConsumer<AccountErasedConsumer, AccountErasedConsumerDefinition>();
        }, service: "chat");

        builder.Services.AddOpenApi();
        return builder;
    }
}

internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy();
        }
        catch (RedisException e)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis is unreachable; the chat runs from PostgreSQL.", e);
        }
    }
}
