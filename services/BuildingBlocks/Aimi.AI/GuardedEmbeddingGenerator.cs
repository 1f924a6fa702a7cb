using Microsoft.Extensions.AI;

namespace Aimi.AI;

/// <summary>Turns transport failures of a remote embedding model into <see cref="AiUnavailableException"/>.</summary>
internal sealed class GuardedEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (AiFailures.IsUnavailable(exception, cancellationToken))
        {
            throw AiFailures.Wrap(exception);
        }
    }
}
