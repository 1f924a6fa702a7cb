using System.Threading.RateLimiting;
using Aimi.Gateway.Middleware;
using Microsoft.Extensions.Time.Testing;

namespace Aimi.Gateway.Tests;

/// <summary>The gateway's per-caller buckets, on a clock the tests move: they refill from the clock, so nothing runs between requests.</summary>
public sealed class TokenBucketsTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-05T02:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private TokenBuckets<string> Buckets(int limit = 3, double perSecond = 2) => new(caller => caller, limit, perSecond, _time);

    [Fact]
    public void A_caller_spends_its_burst_then_waits_for_the_rate_and_is_told_how_long()
    {
        using var buckets = Buckets(limit: 3, perSecond: 2);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(buckets.AttemptAcquire("ann").IsAcquired);
        }

        using var refused = buckets.AttemptAcquire("ann");
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(500), wait);

        _time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.False(buckets.AttemptAcquire("ann").IsAcquired);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(buckets.AttemptAcquire("ann").IsAcquired);
        Assert.False(buckets.AttemptAcquire("ann").IsAcquired);
    }

    [Fact]
    public void Callers_have_buckets_of_their_own_and_a_bucket_never_holds_more_than_its_limit()
    {
        using var buckets = Buckets(limit: 2, perSecond: 1);
        Assert.True(buckets.AttemptAcquire("ann", 2).IsAcquired);
        Assert.False(buckets.AttemptAcquire("ann").IsAcquired);
        Assert.True(buckets.AttemptAcquire("bob", 2).IsAcquired);

        // An hour idle refills two tokens, not 3,600.
        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(buckets.AttemptAcquire("ann", 2).IsAcquired);
        Assert.False(buckets.AttemptAcquire("ann").IsAcquired);
        Assert.False(buckets.AttemptAcquire("ann", 3).IsAcquired);
    }

    [Fact]
    public void A_fractional_rate_refills_in_proportion()
    {
        using var buckets = Buckets(limit: 1, perSecond: 0.25);
        Assert.True(buckets.AttemptAcquire("ann").IsAcquired);
        using var refused = buckets.AttemptAcquire("ann");
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(4), wait);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.True(buckets.AttemptAcquire("ann").IsAcquired);
    }

    [Fact]
    public void Buckets_that_have_refilled_are_forgotten_and_the_others_kept()
    {
        using var buckets = Buckets(limit: 10, perSecond: 1);
        Assert.True(buckets.AttemptAcquire("ann", 1).IsAcquired); // full again after 1 s
        Assert.True(buckets.AttemptAcquire("bob", 10).IsAcquired); // empty: full again after 10 s
        Assert.Equal(2, buckets.Count);

        _time.Advance(TokenBuckets<string>.SweepInterval - TimeSpan.FromSeconds(1));
        Assert.True(buckets.AttemptAcquire("cat").IsAcquired);
        Assert.Equal(3, buckets.Count); // no sweep before the interval

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(buckets.AttemptAcquire("cat").IsAcquired); // sweeps first: ann and bob are full again, cat is not
        Assert.Equal(1, buckets.Count);

        // Bob's bucket, forgotten full, is as a new one: the whole burst.
        Assert.True(buckets.AttemptAcquire("bob", 10).IsAcquired);
    }

    [Fact]
    public void Statistics_count_leases_and_show_what_a_caller_has_left()
    {
        using var buckets = Buckets(limit: 3, perSecond: 1);
        buckets.AttemptAcquire("ann", 2).Dispose();
        buckets.AttemptAcquire("ann", 2).Dispose();

        var statistics = buckets.GetStatistics("ann")!;
        Assert.Equal(1, statistics.CurrentAvailablePermits);
        Assert.Equal(1, statistics.TotalSuccessfulLeases);
        Assert.Equal(1, statistics.TotalFailedLeases);
        Assert.Equal(3, buckets.GetStatistics("someone new")!.CurrentAvailablePermits);
    }

    [Fact]
    public async Task Many_requests_at_once_spend_exactly_the_burst()
    {
        using var buckets = Buckets(limit: 50, perSecond: 0.001);
        var granted = 0;
        await Parallel.ForAsync(0, 400, async (_, cancellationToken) =>
        {
            using var lease = await buckets.AcquireAsync("ann", 1, cancellationToken);
            if (lease.IsAcquired)
            {
                Interlocked.Increment(ref granted);
            }
        });
        Assert.Equal(50, granted);
    }
}
