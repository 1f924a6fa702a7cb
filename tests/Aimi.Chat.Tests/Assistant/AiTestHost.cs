using Aimi.AI;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Assistant.Local;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Aimi.Chat.Tests.Assistant;

/// <summary>A real DI container with <c>AddAimiAi</c>, the local assistant and the recording plugin, as the Chat service builds it.</summary>
public sealed class AiTestHost : IDisposable
{
    public static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    public static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-24T09:00:00+01:00", CultureInfo.InvariantCulture);

    private readonly ServiceProvider _services;

    public AiTestHost(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        configure?.Invoke(services);
        services.AddAimiAi(configuration, localChatModel: _ => new LocalChatClient()).Plugins.AddFromObject(Plugin, "assistant");
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public RecordingAssistantPlugin Plugin { get; } = new();

    public IServiceProvider Services => _services;

    public Kernel Kernel => _services.GetRequiredService<Kernel>();

    public static ChatHistory History(string userMessage, params PendingItem[] pending)
    {
        var history = new ChatHistory(SystemPrompt(pending));
        history.AddUserMessage(userMessage);
        return history;
    }

    public static string SystemPrompt(params PendingItem[] pending) =>
        "You are Aimi, a personal assistant.\n" + AssistantPrompt.CurrentTimeLine(Now, Berlin) + "\n" + AssistantPrompt.PendingItemsBlock(pending, Berlin);

    public async Task<ChatMessageContent> AskAsync(ChatHistory history)
    {
        var kernel = Kernel;
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var reply = await chat.GetChatMessageContentAsync(history, AssistantTools.AutoInvokeSettings(), kernel);
        history.Add(reply);
        return reply;
    }

    public async Task<string> AskStreamingAsync(ChatHistory history)
    {
        var kernel = Kernel;
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var chunks = new List<string>();
        await foreach (var chunk in chat.GetStreamingChatMessageContentsAsync(history, AssistantTools.AutoInvokeSettings(), kernel))
        {
            if (!string.IsNullOrEmpty(chunk.Content))
            {
                chunks.Add(chunk.Content);
            }
        }

        StreamedChunks = chunks;
        return string.Concat(chunks);
    }

    public IReadOnlyList<string> StreamedChunks { get; private set; } = [];

    public void Dispose() => _services.Dispose();
}
