using Aimi.Contracts.Goals;
using Aimi.Messaging;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using MassTransit;

namespace Aimi.Notifications.Api.Consumers;

/// <summary>Keeps the habit's cadence and plans a reminder at its next occurrence (the dispatcher plans each following one).</summary>
public sealed class HabitChangedConsumer(NotificationsDbContext db, ReminderScheduler scheduler, TimeProvider time, ILogger<HabitChangedConsumer> logger)
    : IdempotentConsumer<HabitChanged, NotificationsDbContext>(db, time, logger)
{
    protected override string ConsumerName => "notifications-habit-changed";

    protected override async Task HandleAsync(HabitChanged message, ConsumeContext<HabitChanged> context, CancellationToken cancellationToken)
    {
        if (await scheduler.LockUserAndCheckErasedAsync(message.UserId, message.OccurredAt, cancellationToken))
        {
            return; // about an account erased after this happened
        }
        var habit = await Db.Habits.FindAsync([message.HabitId], cancellationToken);
        if (habit is not null && (habit.Version >= message.Version || habit.UserId != message.UserId))
        {
            return;
        }
        if (habit is null)
        {
            habit = new HabitSnapshot { HabitId = message.HabitId, UserId = message.UserId, Title = message.Title, Cadence = message.Cadence, Status = message.Status, TimeZone = message.TimeZone };
            Db.Habits.Add(habit);
        }
        habit.Title = message.Title.Length <= NotificationsDbContext.TitleMaxLength ? message.Title : message.Title[..NotificationsDbContext.TitleMaxLength];
        habit.Cadence = message.Cadence;
        // A deleted habit is kept as archived: its reminders are cancelled and a late older version is still ignored.
        habit.Status = message.Change == ChangeKinds.Deleted ? "archived" : message.Status;
        habit.TimeZone = message.TimeZone;
        habit.Version = message.Version;
        habit.UpdatedAt = Time.GetUtcNow();
        await scheduler.ReplanHabitAsync(habit, cancellationToken);
    }
}

public sealed class HabitChangedConsumerDefinition : RetryingConsumerDefinition<HabitChangedConsumer>;
