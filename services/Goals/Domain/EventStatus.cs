namespace Aimi.Goals.Api.Domain;

public enum EventStatus
{
    PendingConfirmation,
    Planned,
    Scheduled,
    AwaitingFeedback,
    Done,
    Missed,
    Postponed,
    Cancelled,
}

public enum EventType
{
    Task,
    Event,
    HabitOccurrence,
    CheckIn,
}

public enum EventSource
{
    Api,
    Chat,
    Habit,
    System,
}

/// <summary>What can happen to an event; the status machine decides whether it may.</summary>
public enum EventAction
{
    /// <summary>The user agreed to an item the assistant proposed.</summary>
    Confirm,
    /// <summary>The Notification service planned its reminders.</summary>
    ScheduleReminders,
    /// <summary>The last reminder before the start went out: the next step is asking how it went.</summary>
    AwaitFeedback,
    Complete,
    /// <summary>Feedback said it did not happen.</summary>
    Miss,
    /// <summary>Moved to new times; passes through <see cref="EventStatus.Postponed"/> back to <see cref="EventStatus.Planned"/>.</summary>
    Postpone,
    Cancel,
}
