using System.Diagnostics;
using Aimi.Testing;

namespace Aimi.Gateway.Tests;

public sealed class CorrelationTests(GatewayHost gateway) : IClassFixture<GatewayHost>
{
    [Fact]
    public async Task Correlation_id_tags_the_request_trace()
    {
        var correlationId = $"trace-{Guid.NewGuid():N}";
        var tagged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("correlation.id") as string == correlationId)
                {
                    tagged.TrySetResult();
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await SendWithCorrelationId(correlationId);

        // The server stops its activity just after the response is sent, so this waits for that, not for time.
        await tagged.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Correlation_id_is_in_the_log_scope_of_the_forwarded_request()
    {
        var correlationId = $"logs-{Guid.NewGuid():N}";

        await SendWithCorrelationId(correlationId);

        // Routing's "Executing endpoint" line of the request, written inside the forwarding, carries the request's id.
        var logged = gateway.Logs.Entries.Where(e => Equals(e.Scope.GetValueOrDefault("CorrelationId"), correlationId)).ToList();
        Assert.Contains(logged, e => e.Category == "Microsoft.AspNetCore.Routing.EndpointMiddleware" && e.Message.StartsWith("Executing endpoint", StringComparison.Ordinal));
    }

    private async Task<string> SendWithCorrelationId(string correlationId)
    {
        var path = $"/goals/{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Correlation-Id", correlationId);
        var response = await gateway.As(TestAuth.NewUserId()).SendAsync(request);
        response.EnsureSuccessStatusCode();
        return path;
    }
}
