using Aimi.ServiceDefaults.Errors;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Endpoints;

public sealed record GoalResponse(
    Guid Id, string Title, string? Description, GoalStatus Status, DateOnly? DueDate, int Importance, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record CreateGoalRequest(string? Title, string? Description, DateOnly? DueDate, int? Importance);

/// <summary>Fields left out stay as they are. <c>expectedVersion</c> follows <see cref="ExpectedVersion"/>.</summary>
public sealed record UpdateGoalRequest(string? Title, string? Description, GoalStatus? Status, DateOnly? DueDate, int? Importance, int? ExpectedVersion);

public static class GoalsApi
{
    public static IEndpointRouteBuilder MapGoalEndpoints(this IEndpointRouteBuilder app)
    {
        var goals = app.MapGroup("/goals").WithTags("Goals").WithIdempotencyKeys();
        goals.MapGet("/", ListGoals).WithName("ListGoals");
        goals.MapGet("/{id:guid}", GetGoal).WithName("GetGoal");
        goals.MapPost("/", CreateGoal).WithName("CreateGoal");
        goals.MapPut("/{id:guid}", UpdateGoal).WithName("UpdateGoal");
        goals.MapDelete("/{id:guid}", DeleteGoal).WithName("DeleteGoal");
        return app;
    }

    public static async Task<Results<Ok<List<GoalResponse>>, ValidationProblem>> ListGoals(string? status, [AsParameters] GoalsApiServices services)
    {
        if (!Validation.TryParseFilter<GoalStatus>(status, out var filter, out var problem))
        {
            return problem;
        }
        var user = await services.CurrentUserAsync();
        var goals = await services.Db.Goals.AsNoTracking()
            .Where(g => g.UserId == user.Id && (filter == null || g.Status == filter))
            .OrderByDescending(g => g.Importance).ThenBy(g => g.CreatedAt)
            .ToListAsync(services.CancellationToken);
        return TypedResults.Ok(goals.Select(ToResponse).ToList());
    }

    public static async Task<Results<Ok<GoalResponse>, ProblemHttpResult>> GetGoal(Guid id, [AsParameters] GoalsApiServices services)
    {
        var user = await services.CurrentUserAsync();
        var goal = await services.Db.Goals.AsNoTracking().SingleOrDefaultAsync(g => g.Id == id && g.UserId == user.Id, services.CancellationToken);
        return goal is null ? Problems.NotFound("Goal", id) : TypedResults.Ok(ToResponse(goal));
    }

    public static async Task<Results<Created<GoalResponse>, ValidationProblem>> CreateGoal(CreateGoalRequest request, [AsParameters] GoalsApiServices services)
    {
        var validation = Validate(request.Title, request.Description, request.Importance, titleRequired: true);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        var now = services.Time.GetUtcNow();
        var goal = new Goal
        {
            Id = Guid.CreateVersion7(now),
            UserId = user.Id,
            Title = request.Title!.Trim(),
            Description = Validation.Clean(request.Description),
            DueDate = request.DueDate,
            Importance = request.Importance ?? 3,
            CreatedAt = now,
        };
        services.Db.Goals.Add(goal);
        services.Changes.Created(goal, user);
        await services.Db.SaveChangesAsync(services.CancellationToken);
        return TypedResults.Created($"/goals/{goal.Id}", ToResponse(goal));
    }

    public static async Task<Results<Ok<GoalResponse>, ValidationProblem, ProblemHttpResult>> UpdateGoal(
        Guid id, UpdateGoalRequest request, [AsParameters] GoalsApiServices services)
    {
        var validation = Validate(request.Title, request.Description, request.Importance, titleRequired: false);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        var goal = await services.Db.Goals.SingleOrDefaultAsync(g => g.Id == id && g.UserId == user.Id, services.CancellationToken);
        if (goal is null)
        {
            return Problems.NotFound("Goal", id);
        }
        if (ExpectedVersion.Check(request.ExpectedVersion, goal.Version) is { } stale)
        {
            return stale;
        }

        if (request.Title is not null) goal.Title = request.Title.Trim();
        if (request.Description is not null) goal.Description = Validation.Clean(request.Description);
        if (request.Status is { } status) goal.Status = status;
        if (request.DueDate is not null) goal.DueDate = request.DueDate;
        if (request.Importance is { } importance) goal.Importance = importance;
        services.Changes.Updated(goal, user);
        return await services.SaveAsync(goal, g => g.Version) is { } conflict ? conflict : TypedResults.Ok(ToResponse(goal));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteGoal(Guid id, [AsParameters] GoalsApiServices services)
    {
        var user = await services.CurrentUserAsync();
        var goal = await services.Db.Goals.SingleOrDefaultAsync(g => g.Id == id && g.UserId == user.Id, services.CancellationToken);
        if (goal is null)
        {
            return Problems.NotFound("Goal", id);
        }

        await services.Changes.DeletedAsync(goal, user, services.Actor, services.CancellationToken);
        return await services.SaveAsync(goal, g => g.Version) is { } conflict ? conflict : TypedResults.NoContent();
    }

    private static Validation Validate(string? title, string? description, int? importance, bool titleRequired)
    {
        var validation = new Validation()
            .Text("title", title, GoalsDbContext.TitleMaxLength, titleRequired)
            .Range("importance", importance, 1, 5);
        if (description is { Length: > GoalsDbContext.TextMaxLength })
        {
            validation.Add("description", $"'description' must be at most {GoalsDbContext.TextMaxLength} characters.");
        }
        return validation;
    }

    public static GoalResponse ToResponse(Goal g) =>
        new(g.Id, g.Title, g.Description, g.Status, g.DueDate, g.Importance, g.Version, g.CreatedAt, g.UpdatedAt);
}
