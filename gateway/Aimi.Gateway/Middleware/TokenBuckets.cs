using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Aimi.Gateway.Middleware;

/// <summary>
/// A token bucket per partition key that refills from the clock when it is asked, not on a timer. A bucket holds at most
/// <see cref="Limit"/> tokens and gains <see cref="PerSecond"/> a second, fractions kept; a request that finds fewer than it needs is
/// refused at once (no queue) with the time until enough have accrued as <see cref="MetadataName.RetryAfter"/>.
/// <para>
/// .NET's <c>PartitionedRateLimiter.Create</c> wakes every 100 ms to replenish every partition under one lock, and a token bucket
/// with automatic replenishment adds a timer of its own per partition. On this project's two shared cores each wake-up costs
/// (issue 17): the gateway spent 3–6 ms of CPU a second doing nothing but that, most of its idle cost. Here nothing runs between
/// requests. A bucket that has refilled completely says no more than a new one would, so buckets full again are dropped by a sweep
/// at most every <see cref="SweepInterval"/>, run by a request.
/// </para>
/// </summary>
public sealed class TokenBuckets<TResource> : PartitionedRateLimiter<TResource>
{
    /// <summary>How often, at most, a request looks for buckets that have refilled (and can be forgotten).</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private static readonly RateLimitLease Granted = new Lease(true, null);
    private static readonly RateLimitLease Exceeded = new Lease(false, null);

    private readonly Func<TResource, string> _partition;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private long _lastSweep;
    private long _successful;
    private long _failed;

    /// <param name="partition">The key of the bucket a resource spends from.</param>
    /// <param name="limit">Tokens a bucket holds: the burst a caller may send at once.</param>
    /// <param name="perSecond">Tokens a bucket gains a second: the sustained rate (fractions allowed).</param>
    public TokenBuckets(Func<TResource, string> partition, int limit, double perSecond, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentNullException.ThrowIfNull(time);
        _partition = partition;
        Limit = limit;
        PerSecond = perSecond;
        _time = time;
        _lastSweep = time.GetTimestamp();
    }

    public int Limit { get; }

    public double PerSecond { get; }

    /// <summary>The buckets held now (those not refilled since their last request, or not swept yet).</summary>
    public int Count => _buckets.Count;

    public override RateLimiterStatistics? GetStatistics(TResource resource)
    {
        var now = _time.GetTimestamp();
        var available = Limit;
        if (_buckets.TryGetValue(_partition(resource), out var bucket))
        {
            lock (bucket)
            {
                available = (int)Math.Floor(TokensAt(bucket, now));
            }
        }
        return new RateLimiterStatistics
        {
            CurrentAvailablePermits = available,
            CurrentQueuedCount = 0,
            TotalSuccessfulLeases = Interlocked.Read(ref _successful),
            TotalFailedLeases = Interlocked.Read(ref _failed),
        };
    }

    protected override RateLimitLease AttemptAcquireCore(TResource resource, int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        if (permitCount > Limit)
        {
            // No wait makes a bucket hold more than its limit.
            Interlocked.Increment(ref _failed);
            return Exceeded;
        }
        var key = _partition(resource);
        var now = _time.GetTimestamp();
        SweepIfDue(now);
        while (true)
        {
            var bucket = _buckets.GetOrAdd(key, static (_, state) => new Bucket(state.Limit, state.Now), (Limit, Now: now));
            lock (bucket)
            {
                if (bucket.Dropped)
                {
                    continue; // swept between the lookup and the lock: the next lookup makes a new one
                }
                var tokens = TokensAt(bucket, now);
                bucket.Tokens = tokens;
                bucket.At = Math.Max(bucket.At, now);
                // Zero permits asks whether any are left, as RateLimiter defines it.
                if (permitCount == 0 ? tokens >= 1 : tokens >= permitCount)
                {
                    bucket.Tokens -= permitCount;
                    Interlocked.Increment(ref _successful);
                    return Granted;
                }
                Interlocked.Increment(ref _failed);
                var missing = Math.Max(permitCount, 1) - tokens;
                return new Lease(false, TimeSpan.FromSeconds(missing / PerSecond));
            }
        }
    }

    // Nothing is queued: a request the bucket cannot pay for now is refused now.
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(TResource resource, int permitCount, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<RateLimitLease>(cancellationToken)
            : ValueTask.FromResult(AttemptAcquireCore(resource, permitCount));

    /// <summary>Drops the buckets full again at <paramref name="now"/>, once per <see cref="SweepInterval"/>, by whichever request comes first.</summary>
    private void SweepIfDue(long now)
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (_time.GetElapsedTime(last, now) < SweepInterval || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }
        foreach (var (key, bucket) in _buckets)
        {
            lock (bucket)
            {
                if (TokensAt(bucket, now) >= Limit)
                {
                    bucket.Dropped = true;
                    _buckets.TryRemove(new KeyValuePair<string, Bucket>(key, bucket));
                }
            }
        }
    }

    /// <summary>
    /// What <paramref name="bucket"/> holds at <paramref name="now"/>, under its lock. A request that read the clock before another may
    /// come second: it gains nothing, and the bucket's time never goes back.
    /// </summary>
    private double TokensAt(Bucket bucket, long now) =>
        Math.Min(Limit, bucket.Tokens + (Math.Max(0, _time.GetElapsedTime(bucket.At, now).TotalSeconds) * PerSecond));

    /// <summary>One caller's tokens as of <see cref="At"/>; read and written under its own lock.</summary>
    private sealed class Bucket(int limit, long at)
    {
        public double Tokens = limit;
        public long At = at;
        public bool Dropped;
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } wait && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = wait;
                return true;
            }
            metadata = null;
            return false;
        }
    }
}
