using Microsoft.Extensions.AI;
using Xunit;

namespace Aimi.AI.Tests;

/// <summary>A text embedded twice within moments is computed once; what failed, what was pushed out and calls with options are computed again.</summary>
public sealed class RecentEmbeddingCacheTests
{
    [Fact]
    public async Task A_text_seen_recently_is_not_computed_again_and_a_batch_computes_only_what_is_new()
    {
        var inner = new CountingGenerator();
        using var cache = new RecentEmbeddingCache(inner);

        var first = await cache.GenerateAsync(["I live in Berlin", "I work as a nurse"]);
        var second = await cache.GenerateAsync(["I work as a nurse", "My sister lives in Paris", "My sister lives in Paris"]);

        Assert.Equal(["I live in Berlin", "I work as a nurse", "My sister lives in Paris"], inner.Computed);
        Assert.Equal(first[1].Vector.ToArray(), second[0].Vector.ToArray());
        Assert.Equal(3, second.Count);
        Assert.Equal(second[1].Vector.ToArray(), second[2].Vector.ToArray());
    }

    [Fact]
    public async Task Requests_for_a_text_being_computed_wait_for_that_computation()
    {
        var inner = new CountingGenerator { Gate = new TaskCompletionSource() };
        using var cache = new RecentEmbeddingCache(inner);

        var one = cache.GenerateAsync(["where does my sister live?"]);
        var two = cache.GenerateAsync(["where does my sister live?"]);
        inner.Gate.SetResult();

        Assert.Equal((await one)[0].Vector.ToArray(), (await two)[0].Vector.ToArray());
        Assert.Single(inner.Computed);
    }

    [Fact]
    public async Task A_failure_is_not_remembered_the_oldest_text_leaves_first_and_options_pass_through()
    {
        var inner = new CountingGenerator { FailNext = true };
        using var cache = new RecentEmbeddingCache(inner, capacity: 2);

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GenerateAsync(["a"]));
        await cache.GenerateAsync(["a"]);
        await cache.GenerateAsync(["b"]);
        await cache.GenerateAsync(["c"]); // "a" leaves
        await cache.GenerateAsync(["a", "c"]);
        await cache.GenerateAsync(["c"], new EmbeddingGenerationOptions { Dimensions = 4 });

        Assert.Equal(["a", "a", "b", "c", "a", "c"], inner.Computed);
    }

    /// <summary>
    /// A batch longer than the cache pushes its own first texts out before it ends: a text said again after that (an import of a long
    /// conversation repeating "haha") must still get its vector, computed once, and the call must not wait forever for the first one.
    /// </summary>
    [Fact]
    public async Task A_batch_longer_than_the_cache_that_repeats_a_pushed_out_text_completes_and_computes_it_once()
    {
        var inner = new CountingGenerator();
        using var cache = new RecentEmbeddingCache(inner, capacity: 2);

        var call = cache.GenerateAsync(["haha", "b", "c", "d", "haha"]);
        var done = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(10)));

        Assert.True(done == call, "The batch never completed.");
        var vectors = await call;
        Assert.Equal(5, vectors.Count);
        Assert.Equal(vectors[0].Vector.ToArray(), vectors[4].Vector.ToArray());
        Assert.Equal(["haha", "b", "c", "d"], inner.Computed);
    }

    /// <summary>An embedder that records what it computed: a text's vector is its length and first letter.</summary>
    private sealed class CountingGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly List<string> _computed = [];

        public TaskCompletionSource? Gate { get; init; }

        public bool FailNext { get; set; }

        public IReadOnlyList<string> Computed
        {
            get
            {
                lock (_computed)
                {
                    return _computed.ToList();
                }
            }
        }

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var texts = values.ToList();
            lock (_computed)
            {
                _computed.AddRange(texts);
            }
            if (Gate is not null)
            {
                await Gate.Task;
            }
            if (FailNext)
            {
                FailNext = false;
                throw new InvalidOperationException("model unavailable");
            }
            return new GeneratedEmbeddings<Embedding<float>>(texts.Select(t => new Embedding<float>(new float[] { t.Length, t[0] })));
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
