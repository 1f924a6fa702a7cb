using Aimi.Contracts.Goals;
using System.Text.Json;
using Aimi.Chat.Api.Clients;

namespace Aimi.Chat.Api.Orchestration;

/// <summary>What the assistant knows when a session starts; kept with the session (and in its cache) as JSON.</summary>
public sealed record StartingContext(
    string TimeZone,
    string? DisplayName,
    string Locale,
    List<GoalView> Goals,
    List<HabitView> Habits,
    List<AgendaItemView> Upcoming,
    List<AgendaItemView> Pending,
    MemoryContextView? Memory,
    DateTimeOffset AssembledAt)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static StartingContext? FromJson(string json) =>
        json is "{}" or "" ? null : JsonSerializer.Deserialize<StartingContext>(json, Json);
}

/// <summary>
/// Gathers the starting context in parallel: profile, active goals and habits, the coming week and pending items from
/// Goals, and the user's portrait from Memory. Any source that fails is left out; the conversation still starts.
/// </summary>
public sealed partial class StartingContextAssembler(GoalsClient goals, MemoryClient memory, TimeProvider time, ILogger<StartingContextAssembler> logger)
{
    public static readonly TimeSpan UpcomingWindow = TimeSpan.FromDays(7);

    public async Task<StartingContext> AssembleAsync(string token, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var profile = Try(() => goals.GetProfileAsync(token, cancellationToken), "profile", cancellationToken);
        var activeGoals = Try(() => goals.ActiveGoalsAsync(token, cancellationToken), "goals", cancellationToken);
        var habits = Try(() => goals.ActiveHabitsAsync(token, cancellationToken), "habits", cancellationToken);
        var window = Try(() => goals.GetWindowAsync(token, now, now + UpcomingWindow, cancellationToken), "agenda", cancellationToken);
        var memoryContext = memory.GetContextAsync(token, null, null, cancellationToken);
        await Task.WhenAll(profile, activeGoals, habits, window, memoryContext);

        var me = await profile;
        var agenda = await window;
        return new StartingContext(
            me?.TimeZone ?? agenda?.TimeZone ?? "UTC",
            me?.DisplayName,
            me?.Locale ?? "en",
            await activeGoals ?? [],
            await habits ?? [],
            agenda?.Items.Where(i => i.Event.Status is not (EventStatuses.Done or EventStatuses.Missed)).ToList() ?? [],
            agenda?.Pending ?? [],
            await memoryContext,
            now);
    }

    // Every source is optional: unreachable, failing, timed out or circuit-broken, the conversation still starts.
    private async Task<T?> Try<T>(Func<Task<T>> call, string what, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogSourceFailed(logger, e, what);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting context: {What} unavailable")]
    private static partial void LogSourceFailed(ILogger logger, Exception exception, string what);
}
