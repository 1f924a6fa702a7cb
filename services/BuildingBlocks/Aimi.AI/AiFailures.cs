using System.ClientModel;
using Microsoft.SemanticKernel;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Aimi.AI;

/// <summary>Recognises "the model is unreachable" among the exceptions the OpenAI SDK, Semantic Kernel and Polly throw.</summary>
internal static class AiFailures
{
    public static bool IsUnavailable(Exception exception, CancellationToken callerToken)
    {
        // The caller gave up: whatever the transport threw on the way out, that is a cancellation, not an outage.
        if (callerToken.IsCancellationRequested)
        {
            return false;
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case AiUnavailableException:
                    return false;
                case HttpOperationException or ClientResultException or HttpRequestException or TimeoutRejectedException
                    or BrokenCircuitException or System.IO.IOException:
                    return true;
                // A cancellation the caller did not ask for is a timeout somewhere below.
                case OperationCanceledException:
                    return true;
            }
        }

        return false;
    }

    public static AiUnavailableException Wrap(Exception exception)
    {
        int? status = null;
        for (var current = exception; current is not null && status is null; current = current.InnerException)
        {
            status = current switch
            {
                HttpOperationException { StatusCode: { } code } => (int)code,
                ClientResultException { Status: > 0 } client => client.Status,
                HttpRequestException { StatusCode: { } code } => (int)code,
                _ => null,
            };
        }

        var message = status is { } s
            ? $"The AI model answered with HTTP {s} after the configured retries."
            : "The AI model could not be reached (network failure or timeout).";
        return new AiUnavailableException(message, status, exception);
    }
}
