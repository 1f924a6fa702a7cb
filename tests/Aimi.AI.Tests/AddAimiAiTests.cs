using Aimi.AI.Local;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel.Services;
using Xunit;

namespace Aimi.AI.Tests;

public sealed class AddAimiAiTests
{
    [Fact]
    public void Without_configuration_both_models_are_local()
    {
        using var host = new AiTestHost();

        var embeddings = host.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        Assert.IsType<LocalEmbeddingGenerator>(embeddings);
        Assert.Equal(LocalChatClient.ModelId, host.Kernel.GetRequiredService<Microsoft.SemanticKernel.ChatCompletion.IChatCompletionService>().GetModelId());
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
}
