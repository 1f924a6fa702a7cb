using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Aimi.Benchmarks;

/// <summary>One chat message of the run: when it was due, and when its ack and reply (or error) came back, on the run's clock.</summary>
public sealed class ChatSample(string phase, string kind, double dueMs)
{
    public string Phase { get; } = phase;
    /// <summary><c>reminder</c> (a tool call into Goals), <c>agenda</c> (reads Goals) or <c>plain</c>.</summary>
    public string Kind { get; } = kind;
    public double DueMs { get; } = dueMs;
    /// <summary>The ack named a session other than this socket's previous one: this message started it (starting context assembled).</summary>
    public bool OpenedSession { get; set; }
    public double? AckMs { get; set; }
    public double? ReplyMs { get; set; }
    public string? Error { get; set; }

    public bool Done => ReplyMs is not null || Error is not null;
}

/// <summary>
/// Open-loop chat load over one WebSocket per user, round-robin: message i is due at start + i/rate, and the accept
/// (ack) and full-reply latencies are measured from that due time, so a stall delays every message behind it and shows.
/// </summary>
public sealed class ChatLoadRun : IAsyncDisposable
{
    // Reminders go through a tool call into Goals, the agenda reads Goals, the rest is plain talk. Nearly every text differs from
    // the ones of the last minutes, as a person's messages do: Memory embeds each new text once (a recent text's embedding is
    // cached), so a benchmark that repeated a few dozen texts measured turns whose message cost no embedding. Only the two agenda
    // questions repeat, as people ask them.
    private static readonly string[] Tasks = ["call mom", "water the plants", "buy milk", "book the dentist", "pay the rent", "send the report", "go for a run", "read a chapter"];
    private static readonly string[] Openers = ["thanks", "by the way", "oh and", "honestly", "you know what", "good morning", "hey", "so"];
    private static readonly string[] People = ["my sister", "my boss", "Anna", "my neighbour", "the kids", "my friend Tom", "our team", "my dad", "Maya", "the landlord"];
    private static readonly string[] Doings =
    [
        "painted the kitchen", "handed in the big report", "booked a trip to Lisbon", "took up the guitar", "fixed the old bike",
        "adopted a grey kitten", "baked a lemon cake", "ran ten kilometres", "got a new flat near the park", "lost the car keys again",
    ];
    private static readonly string[] Times = ["yesterday", "last weekend", "this morning", "on Saturday", "two days ago", "last night", "after work", "before lunch"];
    private static readonly string[] Agenda = ["what's on my agenda tomorrow?", "what do I have today?"];

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, ChatSample> _samples = new();
    private readonly List<ChatSocketClient> _sockets = [];
    private readonly List<string?> _lastSession = [];
    private readonly BenchmarkOptions _options;

    private ChatLoadRun(BenchmarkOptions options) => _options = options;

    public ConcurrentDictionary<string, int> Unmatched { get; } = new();

    public IEnumerable<ChatSample> Samples(string phase) => _samples.Values.Where(s => s.Phase == phase);

    public IEnumerable<string> ClosedSockets => _sockets.Select(s => s.ClosedBecause).OfType<string>();

    /// <summary>Sets each user's time zone (the reminders resolve "tomorrow" in it) and opens one socket per user through the gateway.</summary>
    public static async Task<ChatLoadRun> ConnectAsync(HttpClient gateway, BenchmarkOptions options, IReadOnlyList<string> tokens, CancellationToken cancellationToken)
    {
        var run = new ChatLoadRun(options);
        try
        {
            foreach (var token in tokens)
            {
                using var request = new HttpRequestMessage(HttpMethod.Put, new Uri("/me", UriKind.Relative)) { Content = JsonContent.Create(new { timeZone = "Europe/Berlin" }) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await gateway.SendAsync(request, cancellationToken);
                response.EnsureSuccessStatusCode();
                run._lastSession.Add(null);
                run._sockets.Add(await ChatSocketClient.ConnectAsync(run._sockets.Count, gateway, token, run.Now, run.OnFrame, cancellationToken));
            }
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Message <paramref name="index"/> of a run: the same sequence in every run. Reminders differ by task, hour and minute (a text
    /// comes back after 4,800 messages), plain talk by its four parts (after 6,400).
    /// </summary>
    public static (string Kind, string Text) Message(int index) => (index % 10) switch
    {
        < 4 => ("reminder", $"remind me to {Tasks[index / 10 % Tasks.Length]} tomorrow at {7 + index % 5}:{index / 80 % 60:00}am"),
        < 8 => ("plain", $"{Openers[index % 8]}, {People[index / 8 % 10]} {Doings[index / 80 % 10]} {Times[index / 800 % 8]}"),
        _ => ("agenda", Agenda[index / 10 % Agenda.Length]),
    };

    /// <summary>Sends for <paramref name="duration"/> at the configured rate, then waits for the last replies (at most <paramref name="drain"/>).</summary>
    public async Task<TimeSpan> RunAsync(string phase, TimeSpan duration, TimeSpan drain, CancellationToken cancellationToken)
    {
        var total = (int)Math.Round(_options.Rate * duration.TotalSeconds);
        var start = _clock.Elapsed;
        var sends = new List<Task>(total);
        for (var i = 0; i < total && !cancellationToken.IsCancellationRequested; i++)
        {
            var due = start + TimeSpan.FromSeconds(i / _options.Rate);
            var wait = due - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            var id = $"{phase}-{i}";
            var (kind, text) = Message(i);
            var sample = new ChatSample(phase, kind, due.TotalMilliseconds);
            _samples[id] = sample;
            sends.Add(SendAsync(_sockets[i % _sockets.Count], id, text, sample, cancellationToken));
        }
        await Task.WhenAll(sends);
        var sent = _clock.Elapsed - start;

        var deadline = _clock.Elapsed + drain;
        while (Samples(phase).Any(s => !s.Done) && _clock.Elapsed < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }
        foreach (var sample in Samples(phase).Where(s => !s.Done))
        {
            sample.Error = sample.AckMs is null ? "no ack" : "no reply";
        }
        return sent;
    }

    private static async Task SendAsync(ChatSocketClient socket, string id, string text, ChatSample sample, CancellationToken cancellationToken)
    {
        if (!await socket.SendAsync(id, text, cancellationToken))
        {
            sample.Error = $"socket closed ({socket.ClosedBecause ?? "unknown"})";
        }
    }

    private double Now() => _clock.Elapsed.TotalMilliseconds;

    // Called on each socket's receive loop: one socket's frames arrive in order, a sample and a _lastSession slot belong to one socket.
    private void OnFrame(ServerFrame frame)
    {
        if (frame.ClientMessageId is not { } id || !_samples.TryGetValue(id, out var sample))
        {
            // session_ended, reminder and pong carry no message id of ours; count them so nothing is silently lost.
            Unmatched.AddOrUpdate(frame.Type, 1, (_, n) => n + 1);
            return;
        }
        switch (frame.Type)
        {
            case "ack":
                sample.AckMs ??= frame.AtMs - sample.DueMs;
                sample.OpenedSession = frame.SessionId != _lastSession[frame.Socket];
                _lastSession[frame.Socket] = frame.SessionId;
                break;
            case "reply":
                sample.ReplyMs = frame.AtMs - sample.DueMs;
                break;
            case "error":
                sample.Error = $"error frame: {frame.Code}";
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            await socket.DisposeAsync();
        }
    }
}
