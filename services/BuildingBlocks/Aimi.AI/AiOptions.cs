namespace Aimi.AI;

/// <summary>Which implementation serves a model.</summary>
public enum AiProvider
{
    /// <summary>The in-process, offline, deterministic implementation (the default when no endpoint is configured).</summary>
    Local,

    /// <summary>Any server speaking the OpenAI wire format: OpenAI, Azure OpenAI (v1 endpoint), Ollama, vLLM, LM Studio, llama.cpp.</summary>
    OpenAI,
}

/// <summary>The <c>AI</c> configuration section: the chat model and the embedding model are chosen separately.</summary>
public sealed class AiOptions
{
    public const string SectionName = "AI";

    public ChatModelOptions Chat { get; set; } = new();

    public EmbeddingModelOptions Embeddings { get; set; } = new();
}

/// <summary>Settings shared by both models (<c>AI:Chat:*</c>, <c>AI:Embeddings:*</c>).</summary>
public abstract class ModelOptions
{
    /// <summary><c>local</c> or <c>openai</c>; when unset, <c>openai</c> if an <see cref="Endpoint"/> is given, else <c>local</c>.</summary>
    public AiProvider? Provider { get; set; }

    /// <summary>Base address of the OpenAI-compatible API including the version segment, e.g. <c>http://localhost:11434/v1</c>.</summary>
    public Uri? Endpoint { get; set; }

    public string? Model { get; set; }

    /// <summary>Optional: Ollama, vLLM and llama.cpp accept any key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Time allowed for one attempt (a whole non-streaming reply, or the first bytes of a stream).</summary>
    public int TimeoutSeconds { get; set; } = 60;

    /// <summary>Retries after a 408/429/5xx or a network failure, with exponential back-off and jitter.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Delay before the first retry; later ones grow exponentially (Retry-After is honoured when sent).</summary>
    public int RetryBaseDelayMilliseconds { get; set; } = 1000;

    public AiProvider EffectiveProvider => Provider ?? (Endpoint is null ? AiProvider.Local : AiProvider.OpenAI);

    internal void Validate(string section)
    {
        if (TimeoutSeconds <= 0)
        {
            throw new InvalidOperationException($"{section}:TimeoutSeconds must be positive.");
        }

        if (MaxRetries < 0 || RetryBaseDelayMilliseconds < 0)
        {
            throw new InvalidOperationException($"{section}:MaxRetries and {section}:RetryBaseDelayMilliseconds cannot be negative.");
        }

        if (EffectiveProvider == AiProvider.OpenAI && string.IsNullOrWhiteSpace(Model))
        {
            throw new InvalidOperationException($"{section}:Model is required when the provider is openai.");
        }

        if (EffectiveProvider == AiProvider.OpenAI && Endpoint is null && string.IsNullOrWhiteSpace(ApiKey))
        {
            throw new InvalidOperationException($"{section}:ApiKey is required for api.openai.com (or set {section}:Endpoint).");
        }
    }
}

/// <summary><c>AI:Chat:*</c>.</summary>
public sealed class ChatModelOptions : ModelOptions;

/// <summary><c>AI:Embeddings:*</c>.</summary>
public sealed class EmbeddingModelOptions : ModelOptions
{
    /// <summary>
    /// Vector length. Local: fixed by the model at <see cref="Local.LocalEmbeddingGenerator.DefaultDimensions"/> (another value fails at start-up).
    /// OpenAI-compatible: sent as <c>dimensions</c> when set (models that support shortening), otherwise the model's own size.
    /// </summary>
    public int? Dimensions { get; set; }
}
