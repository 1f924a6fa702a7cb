using System.Diagnostics;
using Aimi.ServiceDefaults.Telemetry;
using Aimi.Testing;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Aimi.Gateway.Tests;

/// <summary>
/// A database statement that belongs to no traced operation (a background loop's poll) is not exported; one run inside a traced
/// operation is. Real statements on the test PostgreSQL, Npgsql's own spans, the processor ahead of an exporter as the services
/// register it.
/// </summary>
public sealed class UnparentedStatementsTests : IAsyncLifetime
{
    private static readonly ActivitySource Work = new("Aimi.Tests.UnparentedStatements");

    private readonly List<Activity> _exported = [];
    private TestDatabase _database = null!;
    private TracerProvider _tracing = null!;

    public async Task InitializeAsync()
    {
        _database = await TestInfrastructure.CreateDatabaseAsync("traces");
        _tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(UnparentedStatementsProcessor.NpgsqlSource, Work.Name)
            .AddProcessor(new UnparentedStatementsProcessor())
            .AddProcessor(new SimpleActivityExportProcessor(new Collector(_exported)))
            .Build()!;
    }

    public async Task DisposeAsync()
    {
        _tracing.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_statement_of_no_traced_operation_is_not_exported_and_one_inside_an_operation_is()
    {
        var alone = $"alone-{Guid.NewGuid():N}";
        var inside = $"inside-{Guid.NewGuid():N}";

        await RunAsync(alone);
        using (Work.StartActivity("a traced step"))
        {
            await RunAsync(inside);
        }

        Assert.DoesNotContain(Exported(), span => Mentions(span, alone));
        var kept = Assert.Single(Exported(), span => Mentions(span, inside));
        Assert.Equal(UnparentedStatementsProcessor.NpgsqlSource, kept.Source.Name);
        Assert.Contains(Exported(), span => span.Source == Work && span.TraceId == kept.TraceId);
    }

    private async Task RunAsync(string marker)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT '{marker}'", connection);
        await command.ExecuteScalarAsync();
    }

    private List<Activity> Exported()
    {
        lock (_exported)
        {
            return [.. _exported];
        }
    }

    // Other tests' statements run beside these; a span is recognised by the marker in its statement's text.
    private static bool Mentions(Activity span, string marker) =>
        span.TagObjects.Any(tag => tag.Value?.ToString()?.Contains(marker, StringComparison.Ordinal) == true);

    private sealed class Collector(List<Activity> exported) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            lock (exported)
            {
                foreach (var activity in batch)
                {
                    exported.Add(activity);
                }
            }
            return ExportResult.Success;
        }
    }
}
