using System.Collections.Concurrent;
using System.Diagnostics;

namespace Aimi.Testing;

/// <summary>
/// The database commands a piece of work costs (issue 17), from the Npgsql activities traced under it. A test starts a trace of its
/// own (<see cref="InTraceAsync"/>, or a <c>traceparent</c> header on a request with <see cref="NewTraceParent"/>), so the commands of
/// other tests running beside it, and of background loops such as the outbox relay, are in other traces and never counted.
/// </summary>
public sealed class TracedCommands : IDisposable
{
    private readonly ActivitySource _source = new($"{nameof(TracedCommands)}.{Guid.NewGuid():N}");
    private readonly ConcurrentBag<Activity> _stopped = [];
    private readonly ActivityListener _listener;

    public TracedCommands()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Npgsql" or "MassTransit" || s == _source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Add,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Runs <paramref name="work"/> (a publish, a call) under a root activity of its own and returns that trace.</summary>
    public async Task<ActivityTraceId> InTraceAsync(string name, Func<Task> work)
    {
        using var root = _source.StartActivity(name) ?? throw new InvalidOperationException("The listener samples every activity.");
        await work();
        return root.TraceId;
    }

    /// <summary>A new trace and a W3C <c>traceparent</c> value that makes a request part of it.</summary>
    public static (ActivityTraceId Trace, string TraceParent) NewTraceParent()
    {
        var trace = ActivityTraceId.CreateRandom();
        return (trace, $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
    }

    /// <summary>The text of every command of <paramref name="trace"/> that has finished.</summary>
    public IReadOnlyList<string> Commands(ActivityTraceId trace) =>
        _stopped.Where(a => a.TraceId == trace && a.Source.Name == "Npgsql").Select(TextOf).ToList();

    /// <summary>
    /// The text of every finished command on <paramref name="database"/>, whatever its trace: for work that no single trace spans (a
    /// batch consumer handles messages of many traces). Only a host's own database keeps other tests' commands out.
    /// </summary>
    public IReadOnlyList<string> CommandsOn(string database) =>
        _stopped.Where(a => a.Source.Name == "Npgsql" && (a.GetTagItem("db.namespace") ?? a.GetTagItem("db.name"))?.ToString() == database).Select(TextOf).ToList();

    /// <summary>
    /// Waits until a MassTransit consumer of <paramref name="trace"/> has handled its message (its activity stops once the message is
    /// handled and acknowledged, so what ran under it is all there), then the text of the commands run under the trace's consumers.
    /// </summary>
    public async Task<IReadOnlyList<string>> UnderConsumersAsync(ActivityTraceId trace)
    {
        var consumers = await Eventually.GetAsync(
            () => Task.FromResult(_stopped.Where(a => a.TraceId == trace && a.Source.Name == "MassTransit" && a.Kind == ActivityKind.Consumer).ToList()),
            c => c.Count > 0, because: "a consumer handled the message");
        var spans = _stopped.Where(a => a.TraceId == trace).ToDictionary(a => a.SpanId);
        bool UnderConsumer(Activity a)
        {
            for (var parent = a.ParentSpanId; spans.TryGetValue(parent, out var up); parent = up.ParentSpanId)
            {
                if (consumers.Contains(up))
                {
                    return true;
                }
            }
            return false;
        }
        return spans.Values.Where(a => a.Source.Name == "Npgsql" && UnderConsumer(a)).Select(TextOf).ToList();
    }

    private static string TextOf(Activity command) => (command.GetTagItem("db.query.text") ?? command.GetTagItem("db.statement") ?? command.DisplayName).ToString()!;

    public void Dispose()
    {
        _listener.Dispose();
        _source.Dispose();
    }
}
