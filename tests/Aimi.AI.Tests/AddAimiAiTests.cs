using Aimi.AI.Local;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel.ChatCompletion;
using Xunit;

namespace Aimi.AI.Tests;

public sealed class AddAimiAiTests
{
    private static ServiceProvider Build(IDictionary<string, string?>? settings = null, Func<IServiceProvider, IChatClient>? localChatModel = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddAimiAi(configuration, localChatModel);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void Without_configuration_embeddings_are_local_and_the_chat_model_is_the_callers_own()
    {
        using var withoutChat = Build();
        using var withChat = Build(localChatModel: _ => new EchoChatClient());

        var embedder = withoutChat.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.IsType<RecentEmbeddingCache>(embedder);
        Assert.NotNull(embedder.GetService<LocalEmbeddingGenerator>());
        Assert.Null(withoutChat.GetService<IChatCompletionService>()); // a service that needs only embeddings (Memory)
        Assert.NotNull(withChat.GetService<IChatCompletionService>());
    }

    [Fact]
    public void An_endpoint_alone_selects_the_openai_compatible_provider()
    {
        var options = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AI:Chat:Endpoint"] = "http://localhost:11434/v1",
            ["AI:Chat:Model"] = "llama3.1",
            ["AI:Embeddings:Dimensions"] = "128",
        }).Build().GetSection(AiOptions.SectionName).Get<AiOptions>()!;

        Assert.Equal(AiProvider.OpenAI, options.Chat.EffectiveProvider);
        Assert.Equal(AiProvider.Local, options.Embeddings.EffectiveProvider);
    }

    [Fact]
    public void The_local_embedder_refuses_a_dimension_its_model_does_not_have()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AI:Embeddings:Dimensions"] = "128" }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddAimiAi(configuration));

        Assert.Contains("AI:Embeddings:Dimensions", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AI:Chat:Provider", "openai", "AI:Chat:Model")]
    [InlineData("AI:Embeddings:Provider", "openai", "AI:Embeddings:Model")]
    [InlineData("AI:Chat:TimeoutSeconds", "0", "AI:Chat:TimeoutSeconds")]
    public void Incomplete_configuration_fails_at_start_up_naming_the_key(string key, string value, string named)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddAimiAi(configuration));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    /// <summary>A caller's own offline chat model, to show it is the one registered.</summary>
    private sealed class EchoChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, messages.Last().Text)));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
