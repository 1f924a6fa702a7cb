using Aimi.Notifications.Api.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aimi.Notifications.Api.Workers;

/// <summary>
/// Holds one connection that LISTENs for <see cref="ReminderScheduler.PlannedChannel"/>, so a reminder planned by any
/// replica (delivered by PostgreSQL when its transaction commits) wakes this replica's dispatcher at once.
/// </summary>
public sealed partial class PlannedListener(IServiceScopeFactory scopes, DispatchSignal signal, ILogger<PlannedListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string connectionString;
        await using (var scope = scopes.CreateAsyncScope())
        {
            connectionString = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>().Database.GetConnectionString()
                ?? throw new InvalidOperationException("The notifications database has no connection string.");
        }
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += (_, _) => signal.Notify();
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {ReminderScheduler.PlannedChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                failures = 0;
                signal.Notify(); // whatever was planned while not listening is read now
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                LogListenFailed(logger, ex);
                signal.Notify();
                try
                {
                    // Real time on purpose: reconnecting to the database is not part of the reminders' clock.
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 200 * Math.Pow(2, Math.Min(failures, 6)))), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for planned reminders failed; reconnecting")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}
