using Aimi.Notifications.Api.Domain;

namespace Aimi.Notifications.Api.Channels;

/// <summary>What a channel delivers: the reminder, the user it goes to, its words, and the key the receiver deduplicates on.</summary>
public sealed record Delivery(Reminder Reminder, UserProfile Profile, ReminderText Text, string IdempotencyKey, DateTimeOffset SentAt);

/// <summary>One way of reaching the user (in-app, e-mail, web push, webhook).</summary>
public interface IReminderChannel
{
    Channel Channel { get; }

    /// <summary>Delivers, or throws <see cref="ChannelException"/>; returns the provider's id for the message when it gives one.</summary>
    Task<string?> SendAsync(Delivery delivery, CancellationToken cancellationToken);
}

/// <summary>A delivery failed. A permanent failure (no address, a gone subscription, a refused target) is not retried.</summary>
public sealed class ChannelException(string message, bool permanent, Exception? inner = null) : Exception(message, inner)
{
    public bool Permanent { get; } = permanent;
}

/// <summary>
/// In-app delivery is the <c>ReminderDelivered</c> event itself (Chat stores it in the conversation and pushes it to open
/// sockets): the dispatcher writes it to the outbox in the transaction that marks the row sent, so it goes out exactly once.
/// </summary>
public sealed class InAppChannel : IReminderChannel
{
    public Channel Channel => Channel.InApp;

    public Task<string?> SendAsync(Delivery delivery, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(delivery.Profile.InApp ? null : throw new ChannelException("In-app reminders are turned off in the profile.", permanent: true));
}
