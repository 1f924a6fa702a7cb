namespace Aimi.AI;

/// <summary>
/// The model could not be reached or refused to answer after the configured retries (network failure, timeout, 429/5xx,
/// bad key). Chat stores the user's message anyway and replies with a polite "the assistant is unreachable" message.
/// </summary>
public sealed class AiUnavailableException : Exception
{
    public AiUnavailableException(string message, int? statusCode, Exception? innerException)
        : base(message, innerException) => StatusCode = statusCode;

    public AiUnavailableException()
        : this("The AI model is unavailable.", null, null)
    {
    }

    public AiUnavailableException(string message)
        : this(message, null, null)
    {
    }

    public AiUnavailableException(string message, Exception innerException)
        : this(message, null, innerException)
    {
    }

    /// <summary>The HTTP status of the last attempt, when the server answered at all.</summary>
    public int? StatusCode { get; }
}
