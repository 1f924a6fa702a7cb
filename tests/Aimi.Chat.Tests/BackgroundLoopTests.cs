using System.Threading.Channels;
using Aimi.ServiceDefaults.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>The rule every background loop shares (the idle-session sweeper among them): a failing pass backs off on the clock, and the loop never dies.</summary>
public sealed class BackgroundLoopTests
{
    /// <summary>Fails its first three passes with exceptions nobody expects, then works every minute.</summary>
    private sealed class FlakyLoop(TimeProvider time) : BackgroundLoop(time, NullLogger.Instance)
    {
        public Channel<int> Passes { get; } = Channel.CreateUnbounded<int>();
        private int _pass;

        protected override string LoopName => "Flaky";

        protected override Task<LoopWait> RunPassAsync(CancellationToken stoppingToken)
        {
            var pass = ++_pass;
            Passes.Writer.TryWrite(pass);
            return pass switch
            {
                1 => throw new FormatException("a bug"),
                2 => throw new KeyNotFoundException("another bug"),
                3 => throw new TimeoutException("a slow server"),
                _ => Task.FromResult(LoopWait.For(TimeSpan.FromMinutes(1))),
            };
        }
    }

    [Fact]
    public async Task A_loop_survives_any_exception_and_backs_off_on_the_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var loop = new FlakyLoop(time);
        builder.Services.AddSingleton<IHostedService>(loop);
        using var host = builder.Build();
        await host.StartAsync();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        Assert.Equal(1, await NextPassAsync(loop));
        // Each failure waits longer on the test's clock: the next pass comes only once the clock has moved that far (or a
        // step further, when the loop reached its wait after a step).
        AtLeast(TimeSpan.FromMilliseconds(200), await AdvanceUntilNextPassAsync(loop, time, expected: 2));
        AtLeast(TimeSpan.FromMilliseconds(400), await AdvanceUntilNextPassAsync(loop, time, expected: 3));
        AtLeast(TimeSpan.FromMilliseconds(800), await AdvanceUntilNextPassAsync(loop, time, expected: 4));
        AtLeast(TimeSpan.FromMinutes(1), await AdvanceUntilNextPassAsync(loop, time, expected: 5));

        Assert.Equal(0, loop.ConsecutiveFailures);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "A failing pass must not stop the host.");
        await host.StopAsync();
    }

    [Fact]
    public void The_back_off_doubles_from_200_ms_up_to_its_cap()
    {
        var cap = TimeSpan.FromSeconds(30);
        Assert.Equal(TimeSpan.FromMilliseconds(200), BackgroundLoop.Backoff(1, cap));
        Assert.Equal(TimeSpan.FromMilliseconds(1_600), BackgroundLoop.Backoff(4, cap));
        Assert.Equal(TimeSpan.FromMilliseconds(25_600), BackgroundLoop.Backoff(8, cap));
        Assert.Equal(cap, BackgroundLoop.Backoff(9, cap));
        Assert.Equal(cap, BackgroundLoop.Backoff(int.MaxValue, cap));
    }

    private static void AtLeast(TimeSpan expected, TimeSpan moved) =>
        Assert.True(moved >= expected, $"The next pass came after {moved.TotalMilliseconds} ms of the clock; expected at least {expected.TotalMilliseconds} ms.");

    private static async Task<int> NextPassAsync(FlakyLoop loop)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await loop.Passes.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Moves the clock 100 ms at a time until the next pass runs; returns how far it moved.</summary>
    private static async Task<TimeSpan> AdvanceUntilNextPassAsync(FlakyLoop loop, FakeTimeProvider time, int expected)
    {
        var step = TimeSpan.FromMilliseconds(100);
        var moved = TimeSpan.Zero;
        for (var i = 0; i < 1_000; i++)
        {
            // Give the loop a moment to reach its wait before the clock moves (a wait registered after the move would miss it).
            using var settle = new CancellationTokenSource(TimeSpan.FromMilliseconds(i == 0 ? 200 : 20));
            try
            {
                var pass = await loop.Passes.Reader.ReadAsync(settle.Token);
                Assert.Equal(expected, pass);
                return moved;
            }
            catch (OperationCanceledException)
            {
                time.Advance(step);
                moved += step;
            }
        }
        throw new TimeoutException($"Pass {expected} never came.");
    }
}
