using Aimi.Notifications.Api.Data;
using Microsoft.EntityFrameworkCore;
using Aimi.ServiceDefaults.Workers;
using Npgsql;

namespace Aimi.Notifications.Api.Workers;

/// <summary>
/// Holds one connection that LISTENs for <see cref="ReminderScheduler.PlannedChannel"/>, so a reminder planned by any
/// replica (delivered by PostgreSQL when its transaction commits) wakes this replica's dispatcher at once. A pass is one
/// connection's life: it ends only when the connection breaks, and the loop reconnects after its back-off.
/// </summary>
public sealed class PlannedListener(IServiceScopeFactory scopes, DispatchSignal signal, TimeProvider time, ILogger<PlannedListener> logger)
    : BackgroundLoop(time, logger)
{
    private string? _connectionString;

    protected override string LoopName => "Planned-reminder listener";

    protected override TimeSpan MaxBackoff => TimeSpan.FromSeconds(10);

    protected override async Task<LoopWait> RunPassAsync(CancellationToken stoppingToken)
    {
        _connectionString ??= await ConnectionStringAsync();
        try
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            // The payload is the earliest due time the commit planned (ReminderScheduler.Payload).
            connection.Notification += (_, e) => signal.Planned(ReminderScheduler.DueOf(e.Payload));
            await connection.OpenAsync(stoppingToken);
            await using (var listen = new NpgsqlCommand($"LISTEN {ReminderScheduler.PlannedChannel}", connection))
            {
                await listen.ExecuteNonQueryAsync(stoppingToken);
            }
            Connected();
            signal.Notify(); // whatever was planned while not listening is read now
            while (true)
            {
                await connection.WaitAsync(stoppingToken);
            }
        }
        catch (Exception) when (!stoppingToken.IsCancellationRequested)
        {
            signal.Notify(); // while reconnecting, the dispatcher looks for itself
            throw;
        }
    }

    /// <summary>The service's own, unpooled: a connection that LISTENs must never go back to the pool for another use.</summary>
    private async Task<string> ConnectionStringAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        var connectionString = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>().Database.GetConnectionString()
            ?? throw new InvalidOperationException("The notifications database has no connection string.");
        return new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
    }
}
