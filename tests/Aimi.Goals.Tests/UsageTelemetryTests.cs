using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>
/// A service's bus (the shared set-up of <c>AddAimiMessaging</c>, here Goals') reports nothing to MassTransit's usage-tracking
/// server: which consumers and queues the system has is ours.
/// </summary>
public sealed class UsageTelemetryTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public void The_bus_reports_no_usage_telemetry()
    {
        var options = host.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value;

        Assert.False(options.Enabled);
    }
}
