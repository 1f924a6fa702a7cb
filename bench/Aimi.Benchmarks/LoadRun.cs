using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Aimi.Benchmarks;

/// <summary>
/// Open-loop load: request i is due at start + i/rate whatever happened to earlier ones, and its latency is measured from
/// that due time, so a slow system cannot hide its stalls by slowing the sender down (no coordinated omission).
/// </summary>
public sealed class LoadRun(HttpClient gateway, BenchmarkOptions options, IReadOnlyList<string> tokens)
{
    public ConcurrentBag<double> LatenciesMs { get; } = [];

    public ConcurrentDictionary<string, int> Outcomes { get; } = new();

    /// <summary>Ids of the events the gateway confirmed as created, with the time each request was sent.</summary>
    public ConcurrentDictionary<Guid, DateTimeOffset> Created { get; } = new();

    public TimeSpan Elapsed { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var total = (int)Math.Round(options.Rate * options.Duration.TotalSeconds);
        using var slots = new SemaphoreSlim(options.Concurrency);
        var inFlight = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total && !cancellationToken.IsCancellationRequested; i++)
        {
            var due = TimeSpan.FromSeconds(i / options.Rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            inFlight.Add(SendAsync(i, due, clock, slots, cancellationToken));
        }
        await Task.WhenAll(inFlight);
        Elapsed = clock.Elapsed;
    }

    private async Task SendAsync(int index, TimeSpan due, Stopwatch clock, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        try
        {
            var startsAt = DateTimeOffset.UtcNow.AddDays(1 + index % 30).AddMinutes(index % 600);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/events", UriKind.Relative))
            {
                Content = JsonContent.Create(new
                {
                    type = "event",
                    title = $"Benchmark event {index}",
                    startsAt,
                    endsAt = startsAt.AddMinutes(30),
                    source = "api",
                    confirmed = true,
                }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[index % tokens.Count]);
            using var response = await gateway.SendAsync(request, cancellationToken);
            LatenciesMs.Add((clock.Elapsed - due).TotalMilliseconds);
            Outcomes.AddOrUpdate(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
            if (response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                Created[body.GetProperty("id").GetGuid()] = DateTimeOffset.UtcNow;
            }
        }
        catch (HttpRequestException e)
        {
            LatenciesMs.Add((clock.Elapsed - due).TotalMilliseconds);
            Outcomes.AddOrUpdate(e.HttpRequestError.ToString(), 1, (_, n) => n + 1);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LatenciesMs.Add((clock.Elapsed - due).TotalMilliseconds);
            Outcomes.AddOrUpdate("timeout", 1, (_, n) => n + 1);
        }
        finally
        {
            slots.Release();
        }
    }
}
