using Aimi.ServiceDefaults.Errors;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Cronos;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Endpoints;

public sealed record HabitResponse(
    Guid Id, string Title, string Cadence, Guid? GoalId, HabitStatus Status, int Streak, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record CreateHabitRequest(string? Title, string? Cadence, Guid? GoalId);

/// <summary>Fields left out stay as they are. <c>expectedVersion</c> follows <see cref="ExpectedVersion"/>.</summary>
public sealed record UpdateHabitRequest(string? Title, string? Cadence, Guid? GoalId, HabitStatus? Status, int? ExpectedVersion);

public static class HabitsApi
{
    /// <summary>A habit is reminded at most this often: every firing is a reminder on each of the user's channels.</summary>
    public static readonly TimeSpan MinCadenceInterval = TimeSpan.FromMinutes(15);

    public static IEndpointRouteBuilder MapHabitEndpoints(this IEndpointRouteBuilder app)
    {
        var habits = app.MapGroup("/habits").WithTags("Habits").WithIdempotencyKeys();
        habits.MapGet("/", ListHabits).WithName("ListHabits");
        habits.MapGet("/{id:guid}", GetHabit).WithName("GetHabit");
        habits.MapPost("/", CreateHabit).WithName("CreateHabit");
        habits.MapPut("/{id:guid}", UpdateHabit).WithName("UpdateHabit");
        habits.MapDelete("/{id:guid}", DeleteHabit).WithName("DeleteHabit");
        return app;
    }

    public static async Task<Results<Ok<List<HabitResponse>>, ValidationProblem>> ListHabits(string? status, [AsParameters] GoalsApiServices services)
    {
        if (!Validation.TryParseFilter<HabitStatus>(status, out var filter, out var problem))
        {
            return problem;
        }
        var user = await services.CurrentUserAsync();
        var habits = await services.Db.Habits.AsNoTracking()
            .Where(h => h.UserId == user.Id && (filter == null || h.Status == filter))
            .OrderBy(h => h.CreatedAt)
            .ToListAsync(services.CancellationToken);
        return TypedResults.Ok(habits.Select(ToResponse).ToList());
    }

    public static async Task<Results<Ok<HabitResponse>, ProblemHttpResult>> GetHabit(Guid id, [AsParameters] GoalsApiServices services)
    {
        var user = await services.CurrentUserAsync();
        var habit = await services.Db.Habits.AsNoTracking().SingleOrDefaultAsync(h => h.Id == id && h.UserId == user.Id, services.CancellationToken);
        return habit is null ? Problems.NotFound("Habit", id) : TypedResults.Ok(ToResponse(habit));
    }

    public static async Task<Results<Created<HabitResponse>, ValidationProblem, ProblemHttpResult>> CreateHabit(
        CreateHabitRequest request, [AsParameters] GoalsApiServices services)
    {
        var validation = Validate(request.Title, request.Cadence, required: true);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        if (request.GoalId is { } goalId && !await OwnsGoalAsync(services, user, goalId))
        {
            return Problems.NotFound("Goal", goalId);
        }

        var now = services.Time.GetUtcNow();
        var habit = new Habit
        {
            Id = Guid.CreateVersion7(now),
            UserId = user.Id,
            Title = request.Title!.Trim(),
            Cadence = request.Cadence!.Trim(),
            GoalId = request.GoalId,
            CreatedAt = now,
        };
        services.Db.Habits.Add(habit);
        services.Changes.Created(habit, user);
        await services.Db.SaveChangesAsync(services.CancellationToken);
        return TypedResults.Created($"/habits/{habit.Id}", ToResponse(habit));
    }

    public static async Task<Results<Ok<HabitResponse>, ValidationProblem, ProblemHttpResult>> UpdateHabit(
        Guid id, UpdateHabitRequest request, [AsParameters] GoalsApiServices services)
    {
        var validation = Validate(request.Title, request.Cadence, required: false);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        var habit = await services.Db.Habits.SingleOrDefaultAsync(h => h.Id == id && h.UserId == user.Id, services.CancellationToken);
        if (habit is null)
        {
            return Problems.NotFound("Habit", id);
        }
        if (ExpectedVersion.Check(request.ExpectedVersion, habit.Version) is { } stale)
        {
            return stale;
        }
        if (request.GoalId is { } goalId && !await OwnsGoalAsync(services, user, goalId))
        {
            return Problems.NotFound("Goal", goalId);
        }

        if (request.Title is not null) habit.Title = request.Title.Trim();
        if (request.Cadence is not null) habit.Cadence = request.Cadence.Trim();
        if (request.GoalId is not null) habit.GoalId = request.GoalId;
        if (request.Status is { } status) habit.Status = status;
        services.Changes.Updated(habit, user);
        return await services.SaveAsync(habit, h => h.Version) is { } conflict ? conflict : TypedResults.Ok(ToResponse(habit));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteHabit(Guid id, [AsParameters] GoalsApiServices services)
    {
        var user = await services.CurrentUserAsync();
        var habit = await services.Db.Habits.SingleOrDefaultAsync(h => h.Id == id && h.UserId == user.Id, services.CancellationToken);
        if (habit is null)
        {
            return Problems.NotFound("Habit", id);
        }

        await services.Changes.DeletedAsync(habit, user, services.Actor, services.CancellationToken);
        return await services.SaveAsync(habit, h => h.Version) is { } conflict ? conflict : TypedResults.NoContent();
    }

    internal static Task<bool> OwnsGoalAsync(GoalsApiServices services, User user, Guid goalId) =>
        services.Db.Goals.AnyAsync(g => g.Id == goalId && g.UserId == user.Id, services.CancellationToken);

    private static Validation Validate(string? title, string? cadence, bool required)
    {
        var validation = new Validation()
            .Text("title", title, GoalsDbContext.TitleMaxLength, required)
            .Text("cadence", cadence, 100, required);
        if (!string.IsNullOrWhiteSpace(cadence) && cadence.Length <= 100)
        {
            if (!IsCron(cadence.Trim()))
            {
                validation.Add("cadence", $"'{cadence}' is not a five-field cron expression (e.g. '0 7 * * 1-5' for weekdays at 7:00).");
            }
            else if (ShortestInterval(cadence.Trim()) < MinCadenceInterval)
            {
                validation.Add("cadence", $"'{cadence}' fires more often than every {MinCadenceInterval.TotalMinutes:0} minutes; a habit is reminded at most that often.");
            }
        }
        return validation;
    }

    private static bool IsCron(string expression)
    {
        try
        {
            CronExpression.Parse(expression, CronFormat.Standard);
            return true;
        }
        catch (CronFormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// The shortest time between two firings, taken from the minute and hour fields over two whole days as if every day
    /// were allowed: the day fields only leave firings out, so this is never longer than the real shortest interval (a
    /// late firing followed by an early one on a day the day fields skip counts too, which only makes the check stricter).
    /// </summary>
    private static TimeSpan ShortestInterval(string expression)
    {
        var fields = expression.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var daily = CronExpression.Parse(fields.Length == 5 ? $"{fields[0]} {fields[1]} * * *" : expression, CronFormat.Standard); // or a macro: @hourly
        var from = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var firings = daily.GetOccurrences(from, from.AddDays(2), fromInclusive: true, toInclusive: false).ToList();
        return firings.Count < 2 ? TimeSpan.MaxValue : firings.Zip(firings.Skip(1), (a, b) => b - a).Min();
    }

    public static HabitResponse ToResponse(Habit h) =>
        new(h.Id, h.Title, h.Cadence, h.GoalId, h.Status, h.Streak, h.Version, h.CreatedAt, h.UpdatedAt);
}
