using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Endpoints;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Workers;

/// <summary>
/// Deletes idempotency keys past their <see cref="Idempotency.Lifetime"/> once an hour. An expired key is already free
/// to be used again before the sweep (the claim takes it over); the sweep keeps the table small. Safe in every replica:
/// deleting what another replica deleted deletes nothing.
/// </summary>
public sealed partial class IdempotencyKeySweeper(IServiceScopeFactory scopes, TimeProvider time, ILogger<IdempotencyKeySweeper> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GoalsDbContext>();
        var expired = time.GetUtcNow() - Idempotency.Lifetime;
        return await db.IdempotentRequests.Where(r => r.CreatedAt <= expired).ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping expired idempotency keys failed; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
