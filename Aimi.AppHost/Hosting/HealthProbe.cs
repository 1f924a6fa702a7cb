using System.Net;

namespace Aimi.AppHost.Hosting;

/// <summary>Polls a service's <c>/health</c> until it answers 200, its process exits, or the timeout passes.</summary>
public static class HealthProbe
{
    public static async Task<HealthResult> WaitAsync(Uri healthUrl, SupervisedProcess process, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                return new HealthResult(false, $"the process exited with code {process.ExitCode} before it became healthy");
            }
            try
            {
                using var response = await http.GetAsync(healthUrl, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return new HealthResult(true, "healthy");
                }
                last = $"{(int)response.StatusCode} {response.ReasonPhrase}: {Truncate(await response.Content.ReadAsStringAsync(cancellationToken))}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "the request timed out";
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
        return new HealthResult(false, $"no healthy answer from {healthUrl} within {timeout.TotalSeconds:0} s (last: {last})");
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}

public sealed record HealthResult(bool Healthy, string Detail);
