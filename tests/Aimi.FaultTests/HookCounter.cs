using System.Collections.Concurrent;
using Aimi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Aimi.FaultTests;

/// <summary>
/// A webhook receiver on loopback that counts every delivery by its <c>Idempotency-Key</c> and takes a moment to answer,
/// so a kill finds deliveries in flight.
/// </summary>
public sealed class HookCounter : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, int> _hits = new();
    private WebApplication _app = null!;

    public Uri Url { get; private set; } = null!;

    /// <summary>How many times each key arrived (a key more than once: a delivery sent again, which the key lets a receiver drop).</summary>
    public IReadOnlyDictionary<string, int> Hits => _hits;

    public static async Task<HookCounter> StartAsync(TimeSpan answerAfter)
    {
        var counter = new HookCounter();
        counter._app = await LoopbackApp.StartAsync(app => app.MapPost("/hook", async (HttpRequest request) =>
        {
            await Task.Delay(answerAfter);
            var key = request.Headers["Idempotency-Key"].ToString();
            counter._hits.AddOrUpdate(key, 1, (_, n) => n + 1);
            return Results.Ok();
        }));
        counter.Url = new Uri(counter._app.BaseAddress(), "hook");
        return counter;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
