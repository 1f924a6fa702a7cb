using System.Buffers;
using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.AI;

namespace Aimi.AI.Local;

/// <summary>
/// An offline embedder that is <b>lexical, not semantic</b>: texts are close when they share words or word fragments, not
/// when they mean the same thing ("car" and "automobile" are unrelated to it). Each text is normalised
/// (<see cref="TextNormalizer"/>: lower case, NFKC, punctuation stripped; Latin and Cyrillic alike), then every word
/// (weight 1) and every character 3-gram of the space-padded word (weight 0.5) is feature-hashed with XxHash32 into
/// <see cref="Dimensions"/> buckets (default 384) with a hash-derived sign, and the vector is L2-normalised. The result is
/// identical across processes and machines. An empty text gives the zero vector.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int DefaultDimensions = 384;
    public const string ModelId = "aimi-local-lexical-hashing";

    private const float WordWeight = 1f;
    private const float NGramWeight = 0.5f;
    private const int NGram = 3;

    private readonly EmbeddingGeneratorMetadata _metadata;

    public LocalEmbeddingGenerator(int dimensions = DefaultDimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 16);
        Dimensions = dimensions;
        _metadata = new EmbeddingGeneratorMetadata("aimi-local", null, ModelId, dimensions);
    }

    public int Dimensions { get; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(new Embedding<float>(Embed(value)) { ModelId = ModelId, CreatedAt = null });
        }

        return Task.FromResult(result);
    }

    /// <summary>The embedding of one text, synchronously.</summary>
    public float[] Embed(string? text)
    {
        var vector = new float[Dimensions];
        foreach (var word in TextNormalizer.Words(text))
        {
            Add(vector, "w:" + word, WordWeight);
            var padded = " " + word + " ";
            for (var i = 0; i + NGram <= padded.Length; i++)
            {
                Add(vector, string.Concat("c:", padded.AsSpan(i, NGram)), NGramWeight);
            }
        }

        var norm = 0.0;
        foreach (var x in vector)
        {
            norm += x * x;
        }

        if (norm > 0)
        {
            var scale = (float)(1 / Math.Sqrt(norm));
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] *= scale;
            }
        }

        return vector;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
    }

    private static void Add(float[] vector, string feature, float weight)
    {
        var byteCount = Encoding.UTF8.GetByteCount(feature);
        var buffer = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var written = Encoding.UTF8.GetBytes(feature, buffer);
            var hash = XxHash32.HashToUInt32(buffer.AsSpan(0, written));
            // Low 31 bits pick the bucket, the top bit the sign, so collisions cancel out on average instead of piling up.
            var bucket = (int)((hash & 0x7FFF_FFFF) % (uint)vector.Length);
            vector[bucket] += (hash & 0x8000_0000) == 0 ? weight : -weight;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
