using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Endpoints;
using Aimi.ServiceDefaults.Workers;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Workers;

/// <summary>
/// Deletes idempotency keys past their <see cref="Idempotency.Lifetime"/> once an hour. An expired key is already free
/// to be used again before the sweep (the claim takes it over); the sweep keeps the table small. Safe in every replica:
/// deleting what another replica deleted deletes nothing.
/// </summary>
public sealed class IdempotencyKeySweeper(IServiceScopeFactory scopes, TimeProvider time, ILogger<IdempotencyKeySweeper> logger)
    : BackgroundLoop(time, logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override string LoopName => "Idempotency-key sweep";

    protected override async Task<LoopWait> RunPassAsync(CancellationToken stoppingToken)
    {
        await SweepAsync(stoppingToken);
        return LoopWait.For(Interval);
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GoalsDbContext>();
        var expired = Time.GetUtcNow() - Idempotency.Lifetime;
        return await db.IdempotentRequests.Where(r => r.CreatedAt <= expired).ExecuteDeleteAsync(cancellationToken);
    }
}
