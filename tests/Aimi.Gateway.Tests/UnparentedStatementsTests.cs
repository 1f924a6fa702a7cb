using System.Diagnostics;
using Aimi.ServiceDefaults.Telemetry;
using Aimi.Infrastructure;
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

    // The statements read nothing, so they run on the shared server's own database instead of one made for the test.
    private static readonly string Server = new NpgsqlConnectionStringBuilder(LocalInfrastructure.PostgresServer) { Database = "postgres" }.ConnectionString;

    private readonly List<Activity> _exported = [];
    private TracerProvider _tracing = null!;

    public async Task InitializeAsync()
    {
        await TestInfrastructure.EnsureAsync();
        _tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(UnparentedStatementsProcessor.NpgsqlSource, Work.Name)
            .AddProcessor(new UnparentedStatementsProcessor())
            .AddProcessor(new SimpleActivityExportProcessor(new Collector(_exported)))
            .Build()!;
    }

    public Task DisposeAsync()
    {
        _tracing.Dispose();
        return Task.CompletedTask;
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

    private static async Task RunAsync(string marker)
    {
        await using var connection = new NpgsqlConnection(Server);
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
