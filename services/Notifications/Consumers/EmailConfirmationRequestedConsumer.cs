using System.Globalization;
using System.Net;
using Aimi.Contracts.Goals;
using Aimi.Messaging;
using Aimi.Notifications.Api.Channels;
using Aimi.Notifications.Api.Data;
using MassTransit;
using MimeKit;

namespace Aimi.Notifications.Api.Consumers;

/// <summary>
/// Mails a confirmation code to a new address, once: a redelivered message is skipped, an expired code is not sent,
/// and a refused recipient is not tried again. Only a passing SMTP trouble is retried.
/// </summary>
public sealed partial class EmailConfirmationRequestedConsumer(NotificationsDbContext db, SmtpMail smtp, TimeProvider time,
    ILogger<EmailConfirmationRequestedConsumer> logger)
    : IdempotentConsumer<EmailConfirmationRequested, NotificationsDbContext>(db, time, logger)
{
    public const string MessageIdDomain = "confirm.aimi";

    protected override string ConsumerName => "notifications-email-confirmation-requested";

    protected override async Task HandleAsync(EmailConfirmationRequested message, ConsumeContext<EmailConfirmationRequested> context, CancellationToken cancellationToken)
    {
        if (message.ExpiresAt <= Time.GetUtcNow())
        {
            LogExpired(logger, message.UserId, message.ConfirmationId);
            return;
        }
        if (!MailboxAddress.TryParse(message.Email, out var to))
        {
            LogRefused(logger, message.UserId, message.ConfirmationId, "not an e-mail address");
            return;
        }
        var mail = ConfirmationMail(message);
        mail.To.Add(to);
        try
        {
            await smtp.SendAsync(mail, cancellationToken);
        }
        catch (ChannelException ex) when (ex.Permanent)
        {
            LogRefused(logger, message.UserId, message.ConfirmationId, ex.Message);
        }
    }

    private static MimeMessage ConfirmationMail(EmailConfirmationRequested m)
    {
        var russian = m.Locale.StartsWith("ru", StringComparison.OrdinalIgnoreCase);
        var minutes = Math.Max(1, (int)Math.Round((m.ExpiresAt - m.OccurredAt).TotalMinutes)).ToString(CultureInfo.InvariantCulture);
        var (subject, text) = russian
            ? ($"Код подтверждения Aimi: {m.Code}",
                $"Ваш код: {m.Code}. Введите его в настройках Aimi в течение {minutes} мин., чтобы получать напоминания на этот адрес. " +
                "Если вы его не запрашивали, просто проигнорируйте письмо: больше сюда ничего не придёт.")
            : ($"Your Aimi confirmation code: {m.Code}",
                $"Your code is {m.Code}. Enter it in Aimi's settings within {minutes} minutes to get reminders at this address. " +
                "If you did not ask for it, ignore this mail: nothing more will be sent here.");
        return new MimeMessage
        {
            Subject = subject,
            MessageId = $"{m.ConfirmationId}@{MessageIdDomain}",
            Date = m.OccurredAt,
            Body = new BodyBuilder
            {
                TextBody = text,
                HtmlBody = $"<!DOCTYPE html><html lang=\"{(russian ? "ru" : "en")}\"><body><p>{WebUtility.HtmlEncode(text)}</p></body></html>",
            }.ToMessageBody(),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Confirmation {ConfirmationId} of user {UserId} expired before it was sent; not sent")]
    private static partial void LogExpired(ILogger logger, string userId, Guid confirmationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Confirmation {ConfirmationId} of user {UserId} was not sent: {Reason}")]
    private static partial void LogRefused(ILogger logger, string userId, Guid confirmationId, string reason);
}

public sealed class EmailConfirmationRequestedConsumerDefinition : RetryingConsumerDefinition<EmailConfirmationRequestedConsumer>;
