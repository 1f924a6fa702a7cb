using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Data;

/// <summary>
/// The one step every change of a goal, habit or profile goes through: the entity's version and time are touched and
/// its contract is queued in the outbox, all in the caller's pending <c>SaveChanges</c>. A delete also announces what
/// the database would otherwise change silently (links set to null), each linked record with a new version.
/// </summary>
public sealed class PlanChanges(GoalsDbContext db, EventLifecycle events, TimeProvider time)
{
    public void Created(Goal goal, User user) => Announce(goal.ToContract(user, ChangeKinds.Created, time.GetUtcNow()));

    public void Updated(Goal goal, User user)
    {
        goal.Touch(time.GetUtcNow());
        Announce(goal.ToContract(user, ChangeKinds.Updated, time.GetUtcNow()));
    }

    /// <summary>Removes the goal; its habits and events lose the link, and each says so.</summary>
    public async Task DeletedAsync(Goal goal, User user, string actor, CancellationToken cancellationToken)
    {
        foreach (var habit in await db.Habits.Where(h => h.UserId == user.Id && h.GoalId == goal.Id).ToListAsync(cancellationToken))
        {
            habit.GoalId = null;
            Updated(habit, user);
        }
        foreach (var item in await db.Events.Where(e => e.UserId == user.Id && e.GoalId == goal.Id).ToListAsync(cancellationToken))
        {
            item.GoalId = null;
            events.Updated(item, user, actor, new { goalId = (Guid?)null, because = $"goal {goal.Id} was deleted" });
        }
        db.Goals.Remove(goal);
        Announce(goal.ToContract(user, ChangeKinds.Deleted, time.GetUtcNow()));
    }

    public void Created(Habit habit, User user) => Announce(habit.ToContract(user, ChangeKinds.Created, time.GetUtcNow()));

    public void Updated(Habit habit, User user)
    {
        habit.Touch(time.GetUtcNow());
        Announce(habit.ToContract(user, ChangeKinds.Updated, time.GetUtcNow()));
    }

    /// <summary>Removes the habit; its events lose the link, and each says so.</summary>
    public async Task DeletedAsync(Habit habit, User user, string actor, CancellationToken cancellationToken)
    {
        foreach (var item in await db.Events.Where(e => e.UserId == user.Id && e.HabitId == habit.Id).ToListAsync(cancellationToken))
        {
            item.HabitId = null;
            events.Updated(item, user, actor, new { habitId = (Guid?)null, because = $"habit {habit.Id} was deleted" });
        }
        db.Habits.Remove(habit);
        Announce(habit.ToContract(user, ChangeKinds.Deleted, time.GetUtcNow()));
    }

    /// <summary>A habit's streak counts its occurrences done in a row; a missed one starts it again.</summary>
    public void OccurrenceFinished(Habit habit, User user, bool done)
    {
        habit.Streak = done ? habit.Streak + 1 : 0;
        Updated(habit, user);
    }

    public void Created(User user) => Announce(user.ToContract(time.GetUtcNow()));

    public void Updated(User user)
    {
        user.Touch(time.GetUtcNow());
        Announce(user.ToContract(time.GetUtcNow()));
    }

    private void Announce<TContract>(TContract contract) where TContract : class => db.AddOutboxMessage(contract, time.GetUtcNow());
}
