using System.ClientModel;
using System.ClientModel.Primitives;
using Aimi.AI.Local;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using OpenAI;
using Polly;

namespace Aimi.AI;

public static class AiServiceCollectionExtensions
{
    /// <summary>Name of the <see cref="HttpClient"/> used for chat completions (timeouts and retries live on it).</summary>
    public const string ChatHttpClientName = "aimi-ai-chat";

    /// <summary>Name of the <see cref="HttpClient"/> used for embeddings.</summary>
    public const string EmbeddingsHttpClientName = "aimi-ai-embeddings";

    /// <summary>
    /// Registers, from the <c>AI</c> configuration section: a Semantic Kernel <see cref="Kernel"/> (transient; add plugins
    /// through the returned builder or as <see cref="KernelPlugin"/> services) with an <see cref="IChatCompletionService"/>,
    /// and an <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/> of <c>string → Embedding&lt;float&gt;</c>. Remote
    /// failures surface as <see cref="AiUnavailableException"/>.
    /// </summary>
    /// <param name="localChatModel">
    /// The offline chat model used when no remote one is configured; it belongs to the service that owns the assistant
    /// (Chat's rule-based assistant). Without it, and without a remote model, no chat model is registered (a service that
    /// needs only embeddings, such as Memory).
    /// </param>
    public static IKernelBuilder AddAimiAi(this IHostApplicationBuilder builder, Func<IServiceProvider, IChatClient>? localChatModel = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Services.AddAimiAi(builder.Configuration, localChatModel);
    }

    /// <inheritdoc cref="AddAimiAi(IHostApplicationBuilder, Func{IServiceProvider, IChatClient})"/>
    public static IKernelBuilder AddAimiAi(this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, IChatClient>? localChatModel = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(AiOptions.SectionName);
        var options = section.Get<AiOptions>() ?? new AiOptions();
        options.Chat.Validate($"{AiOptions.SectionName}:Chat");
        options.Embeddings.Validate($"{AiOptions.SectionName}:Embeddings");
        services.Configure<AiOptions>(section);

        var kernel = services.AddKernel();

        if (options.Chat.EffectiveProvider == AiProvider.OpenAI)
        {
            AddResilientClient(services, ChatHttpClientName, options.Chat);
            services.AddSingleton<IChatCompletionService>(sp =>
            {
                var client = CreateOpenAiClient(sp, ChatHttpClientName, options.Chat);
                return new GuardedChatCompletionService(new OpenAIChatCompletionService(options.Chat.Model!, client, sp.GetService<ILoggerFactory>()));
            });
        }
        else if (localChatModel is not null)
        {
            services.AddSingleton<IChatCompletionService>(sp =>
            {
                // Semantic Kernel's own function-invoking layer drives the local model exactly as it drives a remote one.
                var pipeline = new ChatClientBuilder(localChatModel(sp))
                    .UseKernelFunctionInvocation(sp.GetService<ILoggerFactory>())
                    .Build(sp);
                return pipeline.AsChatCompletionService(sp);
            });
        }

        if (options.Embeddings.EffectiveProvider == AiProvider.OpenAI)
        {
            AddResilientClient(services, EmbeddingsHttpClientName, options.Embeddings);
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp =>
            {
                var client = CreateOpenAiClient(sp, EmbeddingsHttpClientName, options.Embeddings);
                return new RecentEmbeddingCache(
                    new GuardedEmbeddingGenerator(client.GetEmbeddingClient(options.Embeddings.Model!).AsIEmbeddingGenerator(options.Embeddings.Dimensions)));
            });
        }
        else
        {
            // The model's size is fixed; a different configured size would only surface later as a vector column mismatch.
            if (options.Embeddings.Dimensions is { } dimensions && dimensions != LocalEmbeddingGenerator.DefaultDimensions)
            {
                throw new InvalidOperationException(
                    $"{AiOptions.SectionName}:Embeddings:Dimensions is {dimensions}, but the local model ({LocalEmbeddingGenerator.ModelId}) gives {LocalEmbeddingGenerator.DefaultDimensions}.");
            }

            // A chat message is embedded for the turn's memory search and again as the episode Memory keeps: computed once.
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => new RecentEmbeddingCache(new LocalEmbeddingGenerator()));
        }

        return kernel;
    }

    private static void AddResilientClient(IServiceCollection services, string name, ModelOptions model)
    {
        var http = services.AddHttpClient(name, client => client.Timeout = Timeout.InfiniteTimeSpan);
        // Service defaults give every client a generic handler; model calls need their own timeout and retry budget.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked for evaluation; it is the documented way to replace the defaults.
        http.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        http.AddResilienceHandler(name, pipeline =>
            {
                if (model.MaxRetries > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = model.MaxRetries,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = TimeSpan.FromMilliseconds(model.RetryBaseDelayMilliseconds),
                        MaxDelay = TimeSpan.FromSeconds(30),
                        ShouldRetryAfterHeader = true,
                    });
                }

                pipeline.AddTimeout(TimeSpan.FromSeconds(model.TimeoutSeconds));
            });
    }

    private static OpenAIClient CreateOpenAiClient(IServiceProvider services, string httpClientName, ModelOptions model)
    {
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(httpClientName);
        var clientOptions = new OpenAIClientOptions
        {
            Transport = new HttpClientPipelineTransport(http),
            // Retries and per-attempt timeouts are the HttpClient's; the SDK must not multiply them.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromSeconds(model.TimeoutSeconds * (model.MaxRetries + 1) + 30 * model.MaxRetries),
        };
        if (model.Endpoint is not null)
        {
            clientOptions.Endpoint = model.Endpoint;
        }

        // Ollama, vLLM and llama.cpp ignore the key, but the SDK requires one.
        return new OpenAIClient(new ApiKeyCredential(string.IsNullOrWhiteSpace(model.ApiKey) ? "no-key" : model.ApiKey), clientOptions);
    }
}
