using Microsoft.Extensions.AI;

namespace Aimi.AI;

/// <summary>
/// Remembers the embeddings of the last few hundred texts, so a text embedded twice within moments is computed once: a chat
/// message is embedded for the turn's memory search and again as the episode Memory stores (issue 17: one MiniLM embedding
/// costs 4–5 ms of CPU). Requests for a text already being computed wait for that computation. Bounded: the oldest entry
/// leaves first. A failed computation is not kept. Calls with options pass through (options may change the result).
/// </summary>
public sealed class RecentEmbeddingCache(IEmbeddingGenerator<string, Embedding<float>> inner, int capacity = RecentEmbeddingCache.DefaultCapacity)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    /// <summary>How many texts are remembered: a few seconds of traffic, ~0.8 MB at 384 dimensions.</summary>
    public const int DefaultCapacity = 512;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Task<Embedding<float>>> _entries = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options is not null)
        {
            return await base.GenerateAsync(values, options, cancellationToken);
        }

        var texts = values as IReadOnlyList<string> ?? values.ToList();
        var results = new Task<Embedding<float>>[texts.Count];
        var computing = new Dictionary<string, TaskCompletionSource<Embedding<float>>>(StringComparer.Ordinal);
        lock (_gate)
        {
            for (var i = 0; i < texts.Count; i++)
            {
                // A text this call computes already (the batch repeats it after pushing it out of the cache) shares that computation.
                if (computing.TryGetValue(texts[i], out var mine))
                {
                    results[i] = mine.Task;
                    continue;
                }
                if (!_entries.TryGetValue(texts[i], out var known))
                {
                    var pending = new TaskCompletionSource<Embedding<float>>(TaskCreationOptions.RunContinuationsAsynchronously);
                    computing[texts[i]] = pending;
                    known = pending.Task;
                    Remember(texts[i], known);
                }
                results[i] = known;
            }
        }

        if (computing.Count > 0)
        {
            try
            {
                var fresh = await base.GenerateAsync(computing.Keys.ToList(), null, cancellationToken);
                var index = 0;
                foreach (var pending in computing.Values)
                {
                    pending.SetResult(fresh[index++]);
                }
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    foreach (var (text, pending) in computing)
                    {
                        if (_entries.TryGetValue(text, out var kept) && kept == pending.Task)
                        {
                            _entries.Remove(text);
                        }
                    }
                }
                foreach (var pending in computing.Values)
                {
                    pending.TrySetException(e);
                }
                throw;
            }
        }

        return new GeneratedEmbeddings<Embedding<float>>(await Task.WhenAll(results));
    }

    private void Remember(string text, Task<Embedding<float>> embedding)
    {
        _entries[text] = embedding;
        _order.Enqueue(text);
        while (_order.Count > capacity && _order.TryDequeue(out var oldest))
        {
            // A text is added only when absent, so it stands in the queue once.
            _entries.Remove(oldest);
        }
    }
}
