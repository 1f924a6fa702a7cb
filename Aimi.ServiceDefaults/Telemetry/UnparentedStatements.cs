using System.Diagnostics;
using OpenTelemetry;

namespace Aimi.ServiceDefaults.Telemetry;

/// <summary>
/// Keeps out of the exported traces a database statement that belongs to no traced operation: a background loop's poll (the
/// outbox relay, the reminder dispatcher, the import worker, each every few seconds in every service). Alone in a trace of its own
/// such a span says nothing the database's metrics do not, hides the traces worth reading in the dashboard, and at idle it was the
/// only span there was: every service sent the dashboard a batch every 10 s (issue 17, idle CPU). A statement run for a request, a
/// message or a traced step of a loop (an outbox row's publish) has a parent and is exported as before.
/// </summary>
public sealed class UnparentedStatementsProcessor : BaseProcessor<Activity>
{
    /// <summary>The activity source of Npgsql's command spans.</summary>
    public const string NpgsqlSource = "Npgsql";

    public override void OnEnd(Activity data)
    {
        // No parent span id: neither a local parent nor one from another process (a message's traceparent). An activity no longer
        // marked recorded is skipped by the export processors that come after this one.
        if (data.Source.Name == NpgsqlSource && data.ParentSpanId == default)
        {
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
