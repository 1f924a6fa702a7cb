namespace Aimi.AI;

/// <summary>
/// The model could not be reached or refused to answer after the configured retries (network failure, timeout, 429/5xx,
/// bad key). Callers store the user's message anyway and reply with a polite "the assistant is unreachable" message.
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

    /// <summary>A polite reply for the user, in the language (English or Russian) of their message.</summary>
    public static string UserMessage(string? userText) =>
        Local.LocalIntentRecognizer.DetectLanguage(userText ?? "") == Local.ReplyLanguage.Russian
            ? "Извините, я сейчас не могу связаться с моделью. Ваше сообщение сохранено — попробуйте ещё раз чуть позже."
            : "Sorry, I can't reach my language model right now. Your message is saved — please try again in a moment.";
}
