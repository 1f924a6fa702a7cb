using System.Globalization;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using Aimi.Notifications.Api.Domain;
using Aimi.Notifications.Api.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Aimi.Notifications.Api.Data;

/// <summary>
/// Applies the planner's result to <c>reminder_queue</c> inside the caller's unit of work: new rows are added, moved
/// ones re-planned, unwanted ones cancelled; <c>RemindersScheduled</c> goes into the outbox, and the dispatchers are
/// woken by a PostgreSQL notification that is delivered when the transaction commits.
/// </summary>
public sealed class ReminderScheduler(NotificationsDbContext db, TimeProvider time, IOptions<DispatcherOptions> dispatcher)
{
    /// <summary>
    /// The channel dispatchers LISTEN on. The payload is the earliest due time planned (<see cref="Payload"/>): a dispatcher
    /// asleep until sooner than that stays asleep; one that wakes re-reads the next due time itself.
    /// </summary>
    public const string PlannedChannel = "aimi_reminders_planned";

    // Compiled once, as they run for every event change: EF Core otherwise walks, hashes and looks up a LINQ query's expression on
    // each run, about 0.1 ms of CPU (issue 17). Each reads several users or events (a batch's, PrefetchAsync) or one.
    private static readonly Func<NotificationsDbContext, string[], IAsyncEnumerable<StoredRecipient>> StoredRecipientsQuery = EF.CompileAsyncQuery(
        (NotificationsDbContext db, string[] userIds) => db.Users.Where(u => userIds.Contains(u.UserId))
            .Select(u => new StoredRecipient(u, db.Settings.SingleOrDefault(s => s.UserId == u.UserId), db.PushSubscriptions.Any(s => s.UserId == u.UserId))));

    private static readonly Func<NotificationsDbContext, Guid[], IAsyncEnumerable<Reminder>> EventRemindersQuery = EF.CompileAsyncQuery(
        (NotificationsDbContext db, Guid[] eventIds) => db.Reminders.Where(r => eventIds.Contains(r.EventId) && r.Kind != ReminderKind.Habit));

    private sealed record StoredRecipient(UserProfile Profile, NotificationSettings? Settings, bool HasPush)
    {
        public Recipient ToRecipient() => new(Profile, Settings ?? NotificationSettings.Default(Profile.UserId), HasPush);
    }

    /// <summary>The users' recipients as <see cref="PrefetchAsync"/> read them for a batch; a user without a stored profile is not here.</summary>
    private readonly Dictionary<string, Recipient> _recipients = new(StringComparer.Ordinal);

    /// <summary>
    /// The events' reminders as <see cref="PrefetchAsync"/> read them, each list taken by the event's first re-plan: a second change of
    /// the same event in the batch reads them again, with what the first one saved.
    /// </summary>
    private readonly Dictionary<Guid, List<Reminder>> _reminders = [];

    /// <summary>
    /// For a batch of event changes, under the users' planning locks: the users as reminders see them, and the events' reminders
    /// (tracked), each read once for the whole batch instead of once a change (issue 17). <see cref="RecipientAsync"/> and
    /// <see cref="ReplanEventAsync"/> then answer from them. Replaces what an earlier call read.
    /// </summary>
    public async Task PrefetchAsync(IReadOnlyCollection<string> userIds, IReadOnlyCollection<Guid> eventIds, CancellationToken cancellationToken)
    {
        _recipients.Clear();
        _reminders.Clear();
        await foreach (var stored in StoredRecipientsQuery(db, userIds.Distinct(StringComparer.Ordinal).ToArray()).WithCancellation(cancellationToken))
        {
            _recipients[stored.Profile.UserId] = stored.ToRecipient();
        }
        var events = eventIds.Distinct().ToArray();
        foreach (var eventId in events)
        {
            _reminders[eventId] = [];
        }
        await foreach (var reminder in EventRemindersQuery(db, events).WithCancellation(cancellationToken))
        {
            _reminders[reminder.EventId].Add(reminder);
        }
    }

    /// <summary>
    /// Takes the user's planning lock until the transaction ends, so an event re-plan and a profile re-plan of one user run
    /// one after the other and the later one plans with the other's commit. Call before reading anything of the user.
    /// </summary>
    public Task LockUserAsync(string userId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync(LockStatement, [new NpgsqlParameter("lock_user", userId)], cancellationToken);

    /// <summary>The planning lock of the user that the SQL expression <paramref name="user"/> names: one key a user, whichever statement takes it.</summary>
    private static string PlanningLockOf(string user) => $"pg_advisory_xact_lock(hashtextextended({user}, 0))";

    /// <summary>The user's planning lock; the user id is <c>@lock_user</c>.</summary>
    private static readonly string LockStatement = $"SELECT {PlanningLockOf("@lock_user")}";

    /// <summary>
    /// <see cref="LockUserAsync"/>, then whether what happened at <paramref name="occurredAt"/> belongs to an erased account, in one
    /// round trip (<see cref="ErasedUsers.LockThenIsErasedAsync"/>): the first step of every consumer of a change of the user.
    /// </summary>
    public Task<bool> LockUserAndCheckErasedAsync(string userId, DateTimeOffset occurredAt, CancellationToken cancellationToken) =>
        db.LockThenIsErasedAsync(LockStatement, userId, occurredAt, cancellationToken);

    /// <summary>
    /// <see cref="LockUserAndCheckErasedAsync"/> for a batch of changes: every user's planning lock, in ordinal order, then for each
    /// change whether it belongs to an erased account, in one round trip (<see cref="ErasedUsers.LockAllThenErasedAmongAsync"/>).
    /// </summary>
    public Task<bool[]> LockUsersAndCheckErasedAsync(IReadOnlyList<(string UserId, DateTimeOffset OccurredAt)> changes, CancellationToken cancellationToken) =>
        db.LockAllThenErasedAmongAsync(LocksStatement, changes, cancellationToken);

    /// <summary>The planning locks of the users <c>@lock_users</c>, taken in the array's order (the key <see cref="LockStatement"/> takes, for each).</summary>
    private static readonly string LocksStatement = $"SELECT {PlanningLockOf("u")} FROM unnest(@lock_users::text[]) AS u";

    /// <summary>
    /// The user as reminders see them: profile, settings, whether they have a push subscription. A user without a stored
    /// profile gets <paramref name="missingProfile"/>, which is added to the unit of work, or the default profile.
    /// </summary>
    public async Task<Recipient> RecipientAsync(string userId, CancellationToken cancellationToken, Func<UserProfile>? missingProfile = null)
    {
        // The usual case in one statement (it runs for every event change: issue 17). A profile or settings added in this unit
        // of work and not saved yet are not in the tables, so then it goes the long way, where FindAsync sees them.
        if (!AddedUnsaved(userId))
        {
            if (_recipients.TryGetValue(userId, out var prefetched))
            {
                return prefetched;
            }
            if (await StoredRecipientsQuery(db, [userId]).FirstOrDefaultAsync(cancellationToken) is { } stored)
            {
                return stored.ToRecipient();
            }
        }
        var profile = await db.Users.FindAsync([userId], cancellationToken);
        if (profile is null && missingProfile is not null)
        {
            profile = missingProfile();
            db.Users.Add(profile);
        }
        var settings = await db.Settings.FindAsync([userId], cancellationToken) ?? NotificationSettings.Default(userId);
        var hasPush = await db.PushSubscriptions.AnyAsync(s => s.UserId == userId, cancellationToken);
        return new Recipient(profile ?? UserProfile.Default(userId), settings, hasPush);
    }

    /// <summary>Whether this unit of work added the user's profile or settings (given to <c>Add</c>: no change detection needed to see them).</summary>
    private bool AddedUnsaved(string userId) =>
        db.ChangeTracker.AsTracked<UserProfile>().Exists(e => e.State == EntityState.Added && e.Entity.UserId == userId)
        || db.ChangeTracker.AsTracked<NotificationSettings>().Exists(e => e.State == EntityState.Added && e.Entity.UserId == userId);

    /// <summary>
    /// Plans the event's reminders anew. <paramref name="changedAt"/> is when the change being applied happened: a change that
    /// was delayed on its way (an outbox back-off, the broker or this service away) still gets the reminders that fell due in
    /// the meantime, up to <see cref="ReminderPlanner.CatchUp"/> back, sent at once (the dispatcher's own grace still marks
    /// those of an event long started as missed). Without it, only reminders still ahead are planned.
    /// </summary>
    public async Task ReplanEventAsync(EventSnapshot e, CancellationToken cancellationToken, Recipient? recipient = null, DateTimeOffset? changedAt = null)
    {
        var now = time.GetUtcNow();
        recipient ??= await RecipientAsync(e.UserId, cancellationToken);
        var plan = ReminderPlanner.PlanEvent(e, recipient, ReminderPlanner.PlanFrom(changedAt, now));
        var existing = _reminders.Remove(e.EventId, out var prefetched) ? prefetched : await EventRemindersQuery(db, [e.EventId]).ToListAsync(cancellationToken);
        var changed = Apply(existing, plan, e.EventId, null, e.UserId, e.Title, e.Anchor, cancelStale: !ReminderPlanner.IsActive(e), now);

        var scheduled = existing.Where(r => r.Kind == ReminderKind.Event && r.Status == ReminderStatus.Scheduled).ToList();
        if (e.Status == ReminderPlanner.PlannedStatus && scheduled.Count > 0)
        {
            db.AddOutboxMessage(new RemindersScheduled
            {
                EventId = e.EventId,
                UserId = e.UserId,
                ReminderCount = scheduled.Count,
                FirstTriggerAt = scheduled.Min(r => r.TriggerAt),
                OccurredAt = now,
            }, now);
        }
        if (changed)
        {
            await NotifyDispatchersAsync(cancellationToken);
        }
    }

    /// <summary>Plans the next occurrence of a habit and cancels reminders of occurrences it no longer has.</summary>
    public async Task ReplanHabitAsync(HabitSnapshot habit, CancellationToken cancellationToken, Recipient? recipient = null)
    {
        var now = time.GetUtcNow();
        recipient ??= await RecipientAsync(habit.UserId, cancellationToken);
        var open = await db.Reminders.Where(r => r.HabitId == habit.HabitId && (r.Status == ReminderStatus.Scheduled || r.Status == ReminderStatus.Sending))
            .ToListAsync(cancellationToken);
        var changed = false;
        var next = ReminderPlanner.NextHabitOccurrence(habit, now);
        foreach (var stale in open.Where(r => next is null || r.EventStartsAt != next.Value.ToStored()))
        {
            changed |= stale.Cancel(now);
        }
        if (next is { } occurrence)
        {
            changed |= await PlanOccurrenceAsync(habit, occurrence, recipient, cancellationToken);
        }
        if (changed)
        {
            await NotifyDispatchersAsync(cancellationToken);
        }
    }

    /// <summary>Adds the reminders of one habit occurrence (the dispatcher calls this for the next one after sending).</summary>
    public async Task<bool> PlanOccurrenceAsync(HabitSnapshot habit, DateTimeOffset occurrence, Recipient recipient, CancellationToken cancellationToken)
    {
        var occurrenceId = ReminderPlanner.OccurrenceId(habit.HabitId, occurrence.ToStored());
        var existing = await db.Reminders.Where(r => r.EventId == occurrenceId).ToListAsync(cancellationToken);
        return Apply(existing, ReminderPlanner.PlanHabit(recipient, occurrence), occurrenceId, habit.HabitId, habit.UserId, habit.Title,
            occurrence.ToStored(), cancelStale: false, time.GetUtcNow());
    }

    /// <summary>Re-plans everything of a user whose profile, settings or push subscriptions changed.</summary>
    public async Task ReplanUserAsync(string userId, CancellationToken cancellationToken)
    {
        var recipient = await RecipientAsync(userId, cancellationToken);
        var horizon = time.GetUtcNow() - TimeSpan.FromDays(1);
        var active = ReminderPlanner.ActiveStatuses.ToArray();
        var events = await db.Events
            .Where(e => e.UserId == userId && !e.Deleted && active.Contains(e.Status)
                        && ((e.StartsAt ?? e.DueAt) > horizon))
            .ToListAsync(cancellationToken);
        foreach (var e in events)
        {
            await ReplanEventAsync(e, cancellationToken, recipient);
        }
        foreach (var habit in await db.Habits.Where(h => h.UserId == userId).ToListAsync(cancellationToken))
        {
            await ReplanHabitAsync(habit, cancellationToken, recipient);
        }
    }

    /// <summary>
    /// Tells the dispatchers, when the transaction commits, about the reminders this unit of work planned and has not saved
    /// yet (call it before the save), with the earliest due time as the payload. Nothing when it planned none (a cancelled
    /// reminder needs no wake: its dispatcher finds nothing due and reads on), nor when the earliest is due after the
    /// dispatchers' safety wake: every dispatcher wakes by then and reads the queue anyway. Most events are planned further
    /// ahead than that, and the notification is a statement and a wake-up of every replica's listener (issue 17).
    /// </summary>
    public async Task NotifyDispatchersAsync(CancellationToken cancellationToken)
    {
        // The reminders' entries alone are compared for changes (a re-planned row is modified by setting its properties), not
        // everything the unit of work tracks.
        var reminders = db.ChangeTracker.AsTracked<Reminder>();
        foreach (var entry in reminders.Where(e => e.State is EntityState.Unchanged or EntityState.Modified))
        {
            entry.DetectChanges();
        }
        var planned = reminders
            .Where(e => e.State is EntityState.Added or EntityState.Modified && e.Entity.Status == ReminderStatus.Scheduled)
            .Select(e => (DateTimeOffset?)e.Entity.DueAt)
            .Min();
        if (planned is { } due && due < time.GetUtcNow() + dispatcher.Value.SafetyWake)
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({PlannedChannel}, {Payload(due)})", cancellationToken);
        }
    }


    /// <summary>A due time as a notification's payload: its UTC ticks.</summary>
    public static string Payload(DateTimeOffset due) => due.UtcTicks.ToString(CultureInfo.InvariantCulture);

    /// <summary>The due time of a notification's payload; null for one without (an older replica's empty payload).</summary>
    public static DateTimeOffset? DueOf(string payload) =>
        long.TryParse(payload, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : null;

    private bool Apply(
        List<Reminder> existing, IReadOnlyList<PlannedReminder> plan, Guid eventId, Guid? habitId, string userId, string title,
        DateTimeOffset? anchor, bool cancelStale, DateTimeOffset now)
    {
        var changed = false;
        var wanted = plan.ToDictionary(p => (p.Kind, p.Offset, p.Channel));
        foreach (var row in existing.ToList())
        {
            if (wanted.Remove((row.Kind, row.Offset, row.Channel), out var planned))
            {
                changed |= row.Plan(planned.TriggerAt, anchor, title, now);
            }
            // A row due already but not yet sent stays for the dispatcher (it sends it or marks it missed), unless the
            // event is over or its time moved.
            else if (cancelStale || row.EventStartsAt != anchor || row.TriggerAt > now)
            {
                changed |= row.Cancel(now);
            }
        }
        foreach (var p in wanted.Values)
        {
            var row = new Reminder
            {
                Id = Guid.CreateVersion7(now),
                UserId = userId,
                EventId = eventId,
                HabitId = habitId,
                Kind = p.Kind,
                Offset = p.Offset,
                Channel = p.Channel,
                Title = title,
                EventStartsAt = anchor,
                TriggerAt = p.TriggerAt,
                DueAt = p.TriggerAt,
                Status = ReminderStatus.Scheduled,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Reminders.Add(row);
            existing.Add(row); // the caller sees the whole set
            changed = true;
        }
        return changed;
    }
}
