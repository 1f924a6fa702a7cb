using Aimi.Notifications.Api.Domain;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Aimi.Notifications.Api.Channels;

public sealed class SmtpOptions
{
    public const string Section = "Notifications:Smtp";

    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    /// <summary><c>None</c>, <c>StartTls</c>, <c>StartTlsWhenAvailable</c>, <c>SslOnConnect</c> or <c>Auto</c>.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTlsWhenAvailable;
    public string? UserName { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "Aimi <reminders@aimi.local>";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>One message over the configured SMTP server; a refused recipient is a permanent failure, the rest may pass on a retry.</summary>
public sealed class SmtpMail(IOptions<SmtpOptions> options)
{
    private readonly SmtpOptions _options = options.Value;

    public bool Configured => !string.IsNullOrWhiteSpace(_options.Host);

    /// <summary>Sends from the configured sender; returns the server's answer.</summary>
    public async Task<string> SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(_options.Host))
        {
            throw new ChannelException("No SMTP server is configured (Notifications:Smtp:Host).", permanent: true);
        }
        message.From.Add(MailboxAddress.Parse(_options.From));
        using var client = new SmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(_options.Host, _options.Port, _options.Security, cancellationToken);
            if (!string.IsNullOrEmpty(_options.UserName))
            {
                await client.AuthenticateAsync(_options.UserName, _options.Password ?? "", cancellationToken);
            }
            var response = await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return response;
        }
        catch (SmtpCommandException ex) when (ex.StatusCode is SmtpStatusCode.MailboxUnavailable or SmtpStatusCode.MailboxNameNotAllowed or SmtpStatusCode.UserNotLocalTryAlternatePath)
        {
            throw new ChannelException($"The SMTP server refused the recipient: {ex.Message}", permanent: true, ex);
        }
        catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or IOException or System.Net.Sockets.SocketException or TimeoutException or AuthenticationException)
        {
            throw new ChannelException($"Sending e-mail failed: {ex.Message}", permanent: false, ex);
        }
    }
}

/// <summary>
/// E-mail over SMTP: a subject, a plain-text and an HTML body in the user's language, times in the user's zone. The
/// Message-Id is derived from the idempotency key, so a retry after a lost answer is the same message to the receiver.
/// </summary>
public sealed class EmailChannel(SmtpMail smtp) : IReminderChannel
{
    public const string MessageIdDomain = "reminders.aimi";

    public Channel Channel => Channel.Email;

    public async Task<string?> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (!smtp.Configured)
        {
            throw new ChannelException("No SMTP server is configured (Notifications:Smtp:Host).", permanent: true);
        }
        if (!MailboxAddress.TryParse(delivery.Profile.Email, out var to))
        {
            throw new ChannelException("The profile has no valid e-mail address.", permanent: true);
        }

        var message = new MimeMessage
        {
            Subject = delivery.Text.Subject,
            MessageId = $"{delivery.IdempotencyKey}@{MessageIdDomain}",
            Date = delivery.SentAt,
            Body = new BodyBuilder { TextBody = delivery.Text.Text, HtmlBody = delivery.Text.Html }.ToMessageBody(),
        };
        message.To.Add(to);
        message.Headers.Add("X-Aimi-Idempotency-Key", delivery.IdempotencyKey);
        return await smtp.SendAsync(message, cancellationToken);
    }
}
