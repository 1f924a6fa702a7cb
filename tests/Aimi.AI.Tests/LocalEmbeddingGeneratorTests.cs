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
    public async Task Vectors_have_the_documented_dimension_and_unit_length()
    {
        var embeddings = await _generator.GenerateAsync(["Call mom tomorrow at 6pm", "Позвонить маме завтра", "x"]);

        Assert.All(embeddings, e =>
        {
            Assert.Equal(LocalEmbeddingGenerator.DefaultDimensions, e.Vector.Length);
            Assert.Equal(1.0, Norm(e.Vector.Span), precision: 5);
        });
        Assert.Equal(384, LocalEmbeddingGenerator.DefaultDimensions);
        Assert.Equal(384, _generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
    }

    [Fact]
    public void A_configured_dimension_is_used()
    {
        Assert.Equal(64, new LocalEmbeddingGenerator(64).Embed("walk the dog").Length);
    }

    [Fact]
    public void Normalisation_ignores_case_punctuation_and_unicode_forms()
    {
        Assert.Equal(_generator.Embed("Call MOM, tomorrow!"), _generator.Embed("call mom tomorrow"));
        Assert.Equal(_generator.Embed("Ёлка"), _generator.Embed("елка"));
        // "é" precomposed and as e + combining accent.
        Assert.Equal(_generator.Embed("caf\u00e9"), _generator.Embed("cafe\u0301"));
    }

    [Fact]
    public void Empty_text_is_the_zero_vector()
    {
        Assert.All(_generator.Embed("  ...  "), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void The_same_text_gives_the_same_vector_in_another_process()
    {
        var here = _generator.Embed("Позвонить маме завтра в 18:00");

        // A fresh process proves the hash is stable (string.GetHashCode is randomised per process).
        var other = EmbedInChildProcess("Позвонить маме завтра в 18:00");

        Assert.Equal(here, other);
    }

    [Theory]
    [InlineData("call mom tomorrow evening", "call my mom tomorrow", "buy a new laptop charger")]
    [InlineData("позвонить маме вечером", "позвони маме", "купить зарядку для ноутбука")]
    [InlineData("morning run in the park", "running in the park every morning", "quarterly tax report")]
    [InlineData("pay the electricity bill", "electricity bill payment", "позвонить бабушке")]
    public void Similar_texts_are_closer_than_unrelated_ones(string text, string similar, string unrelated)
    {
        var a = _generator.Embed(text);

        Assert.True(Cosine(a, _generator.Embed(similar)) > Cosine(a, _generator.Embed(unrelated)) + 0.2,
            $"similar {Cosine(a, _generator.Embed(similar)):F3} vs unrelated {Cosine(a, _generator.Embed(unrelated)):F3}");
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
        Assert.NotEmpty(output.Trim());
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output.Trim().Split(' ').Select(s => float.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
