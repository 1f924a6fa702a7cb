using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Aimi.FaultTests;

/// <summary>
/// A burst of requests at a steady rate with a fault in the middle, sent as a careful client does: every request that got
/// no answer (connection refused or cut) or a 5xx is sent again, unchanged and with the same idempotency key, until it gets
/// a 2xx or the deadline passes.
/// </summary>
public static class Burst
{
    /// <summary>What the services answer a repeated request with: the stored answer of the first, nothing done again.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    public sealed record Result(
        IReadOnlyDictionary<int, HttpStatusCode> Answers, int Attempts, int Retried, int Replayed, int Unanswered, TimeSpan Recovery, IReadOnlyList<string> Errors,
        IReadOnlyDictionary<string, int> Failures, Latency FaultLatency)
    {
        /// <summary>Attempts that failed, by kind (connection refused, cut, a 5xx status): what the fault looked like to the client.</summary>
        public string FailureSummary => string.Join(", ", Failures.OrderByDescending(f => f.Value).Select(f => $"{f.Value} × {f.Key}").DefaultIfEmpty("none"));

        public int Accepted => Answers.Values.Count(s => (int)s is >= 200 and < 300);
    }

    /// <param name="count">Requests in the burst.</param>
    /// <param name="interval">Time between two first attempts.</param>
    /// <param name="send">Sends request <c>i</c> once (the same request every time for the same <c>i</c>).</param>
    /// <param name="faultAt">The fault starts when request <c>faultAt</c> is first sent.</param>
    /// <param name="fault">Breaks something and repairs it (kill and restart); the burst goes on meanwhile.</param>
    /// <param name="sendAgainOn">An answer below 500 that also means "send it again later" (Chat's 409 for a message still being answered).</param>
    public static async Task<Result> RunAsync(
        int count, TimeSpan interval, Func<int, CancellationToken, Task<HttpResponseMessage>> send, int faultAt, Func<Task> fault, TimeSpan deadline,
        HttpStatusCode? sendAgainOn = null)
    {
        var clock = Stopwatch.StartNew();
        var answers = new ConcurrentDictionary<int, HttpStatusCode>();
        var errors = new ConcurrentQueue<string>();
        var failures = new ConcurrentDictionary<string, int>();
        var attempts = 0;
        var retried = 0;
        var replayed = 0;
        long faultStartedAt = -1;
        long faultEndedAt = -1;
        var firstSent = new ConcurrentDictionary<int, long>();
        var answeredAt = new ConcurrentDictionary<int, long>();
        var timeline = new ConcurrentQueue<(long Start, long End, bool Ok)>();
        using var stop = new CancellationTokenSource(deadline);

        async Task Client(int i)
        {
            for (var attempt = 1; ; attempt++)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }
                if (attempt == 2)
                {
                    Interlocked.Increment(ref retried);
                }
                var attemptStart = clock.ElapsedTicks;
                firstSent.TryAdd(i, attemptStart);
                Interlocked.Increment(ref attempts);
                HttpStatusCode? status = null;
                try
                {
                    using var response = await send(i, stop.Token);
                    status = response.StatusCode;
                    if (response.Headers.Contains(ReplayedHeader))
                    {
                        Interlocked.Increment(ref replayed);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    // No answer: the request may or may not have been done; the retry with the same key tells.
                    failures.AddOrUpdate(e is HttpRequestException { HttpRequestError: var kind } ? kind.ToString() : e.GetType().Name, 1, (_, n) => n + 1);
                }
                timeline.Enqueue((attemptStart, clock.ElapsedTicks, status is { } answered && (int)answered < 300));
                if (status is { } failed && (int)failed >= 500)
                {
                    failures.AddOrUpdate(((int)failed).ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
                }
                if (status is { } s && (int)s < 500 && s != sendAgainOn)
                {
                    answers[i] = s;
                    answeredAt[i] = clock.ElapsedTicks;
                    if ((int)s >= 300)
                    {
                        errors.Enqueue($"request {i}: {(int)s}");
                    }
                    return;
                }
                try
                {
                    await Task.Delay(500, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        var clients = new List<Task>();
        Task? faultTask = null;
        for (var i = 0; i < count; i++)
        {
            if (i == faultAt)
            {
                Interlocked.Exchange(ref faultStartedAt, clock.ElapsedTicks);
                faultTask = Task.Run(async () =>
                {
                    await fault();
                    Interlocked.Exchange(ref faultEndedAt, clock.ElapsedTicks);
                });
            }
            var request = i;
            clients.Add(Task.Run(() => Client(request)));
            await Task.Delay(interval);
        }
        await Task.WhenAll(clients);
        if (faultTask is not null)
        {
            await faultTask;
        }
        // Recovered: the first success of an attempt begun after the last failure ended, counted from the fault.
        var lastFailure = timeline.Where(a => !a.Ok).Select(a => a.End).DefaultIfEmpty(faultStartedAt).Max();
        var recoveredAt = timeline.Where(a => a.Ok && a.Start >= lastFailure).Select(a => a.End).DefaultIfEmpty(lastFailure).Min();
        var recovery = TimeSpan.FromSeconds(Math.Max(0, recoveredAt - faultStartedAt) / (double)Stopwatch.Frequency);
        // What the fault cost a client while it lasted: each request first sent in the fault's window, from then to its answer.
        var duringFault = firstSent.Where(f => f.Value >= faultStartedAt && f.Value <= faultEndedAt && answeredAt.ContainsKey(f.Key))
            .Select(f => TimeSpan.FromSeconds((answeredAt[f.Key] - f.Value) / (double)Stopwatch.Frequency)).ToList();
        return new Result(answers, attempts, retried, replayed, count - answers.Count, recovery, errors.ToList(), failures, Latency.Of(duringFault));
    }
}

/// <summary>How long requests took (first attempt to answer, resends included): p50, p99 and the slowest.</summary>
public sealed record Latency(int Count, TimeSpan P50, TimeSpan P99, TimeSpan Max)
{
    public static Latency Of(IReadOnlyCollection<TimeSpan> durations)
    {
        var sorted = durations.Order().ToList();
        TimeSpan At(double quantile) => sorted.Count == 0 ? TimeSpan.Zero : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(quantile * sorted.Count) - 1)];
        return new Latency(sorted.Count, At(0.50), At(0.99), sorted.Count == 0 ? TimeSpan.Zero : sorted[^1]);
    }

    public override string ToString() => Count == 0 ? "none sent" : System.FormattableString.Invariant(
        $"p50 {Format(P50)} / p99 {Format(P99)} / max {Format(Max)} ({Count} req.)");

    private static string Format(TimeSpan t) =>
        t < TimeSpan.FromSeconds(1) ? System.FormattableString.Invariant($"{t.TotalMilliseconds:0} ms") : System.FormattableString.Invariant($"{t.TotalSeconds:0.0} s");
}
