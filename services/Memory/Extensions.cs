using Aimi.AI;
using Aimi.Memory.Api.Consumers;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Memory.Api.Workers;
using Aimi.Messaging;
using Aimi.Persistence;
using Aimi.ServiceDefaults;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Aimi.Memory.Api;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // PostgreSQL's own choice of plans; only the search's vector half asks for custom ones (MemorySearch.SecondConnection).
        builder.AddServiceDatabase<MemoryDbContext>(ResourceNames.MemoryDb, npgsql => npgsql.UseVector());

        builder.AddAimiAi();
        var ai = builder.Configuration.GetSection(AiOptions.SectionName).Get<AiOptions>() ?? new AiOptions();
        if (ai.Chat.EffectiveProvider == AiProvider.OpenAI)
        {
            builder.Services.AddScoped<IConversationExtractor>(sp => new OpenAiExtractor(sp.GetRequiredService<IChatCompletionService>()));
        }
        else
        {
            builder.Services.AddSingleton<IConversationExtractor, LocalExtractor>();
        }

        builder.Services.AddOptions<SearchOptions>().BindConfiguration("Memory:Search");
        builder.Services.AddOptions<ImportOptions>().BindConfiguration("Memory:Import");
        builder.Services.AddOptions<CleanupOptions>().BindConfiguration("Memory:Cleanup");
        builder.Services.AddScoped<GraphStore>();
        builder.Services.AddScoped<UserStates>();
        builder.Services.AddScoped<MemoryWriter>();
        builder.Services.AddScoped<MemorySearch>();
        builder.Services.AddScoped<StatsCalculator>();
        builder.Services.AddSingleton<ImportSignal>();
        builder.Services.AddSingleton<ImportWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ImportWorker>());
        builder.Services.AddSingleton<CleanupWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CleanupWorker>());

        builder.AddAimiMessaging<MemoryDbContext>(bus =>
        {
            bus.AddConsumer<ChatSessionEndedConsumer, ChatSessionEndedConsumerDefinition>();
            bus.AddConsumer<ChatMessageRecordedConsumer, ChatMessageRecordedConsumerDefinition>();
            bus.AddConsumer<EventChangedConsumer, EventChangedConsumerDefinition>();
            bus.AddConsumer<GoalChangedConsumer, GoalChangedConsumerDefinition>();
            bus.AddConsumer<HabitChangedConsumer, HabitChangedConsumerDefinition>();
            bus.AddConsumer<AccountErasureRequestedConsumer, AccountErasureRequestedConsumerDefinition>();
            bus.AddConsumer<AccountErasedConsumer, AccountErasedConsumerDefinition>();
        }, service: "memory");

        builder.Services.AddOpenApi();
        return builder;
    }
}
