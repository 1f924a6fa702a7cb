using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Clients;
using Microsoft.SemanticKernel;

namespace Aimi.Chat.Api.Orchestration;

/// <summary>
/// One turn's side of the assistant's tools (<see cref="AssistantToolsPlugin"/>, built once per process): whose plan they act on
/// (the turn, with the user's token), through which clients, and what they did, recorded for the message metadata. The orchestrator
/// joins it to the turn's own kernel with the tools (<see cref="JoinTo"/>), and a tool finds it in the kernel it is invoked with (<see cref="Of"/>).
/// </summary>
public sealed class ToolTurn(GoalsClient goals, MemoryClient memory, TurnContext turn, CancellationToken turnCancellation)
{
    private const string DataKey = "aimi.tool-turn";

    private readonly List<ToolCallRecord> _calls = [];
    private int _writes;

    public GoalsClient Goals => goals;

    public MemoryClient Memory => memory;

    public TurnContext Turn => turn;

    public IReadOnlyList<ToolCallRecord> Calls => _calls;

    public bool EndRequested { get; private set; }

    /// <summary>Whether this turn asked to forget something (its messages must not become memories).</summary>
    public bool Forgetting { get; set; }

    /// <summary>The user's time zone, for the days memories are shown with.</summary>
    public TimeZoneInfo Zone => TimeZoneInfo.TryFindSystemTimeZoneById(turn.Context.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>Gives <paramref name="kernel"/>, a kernel of this turn alone, the tools (the shared plugin), acting for this turn.</summary>
    public void JoinTo(Kernel kernel)
    {
        kernel.Data[DataKey] = this;
        kernel.Plugins.Add(AssistantToolsPlugin.Plugin);
    }

    /// <summary>The turn a tool was invoked in: the one its kernel was joined to.</summary>
    public static ToolTurn Of(Kernel kernel) =>
        kernel.Data.TryGetValue(DataKey, out var value) && value is ToolTurn tools
            ? tools
            : throw new InvalidOperationException("The assistant's tools were invoked with a kernel of no turn.");

    public void RequestEnd()
    {
        EndRequested = true;
        _calls.Add(new ToolCallRecord(AssistantTools.EndSession, new Dictionary<string, string?>(), true, null, null, null, null));
    }

    // One chat message may make several writes; each gets its own idempotency key from the message and the write's place
    // in the turn, so a retry of the call and a re-run of the same turn (a resend after the first died) send the same key.
    // A created event also keeps it as its sourceMessageId.
    public string NextWriteKey() => $"{turn.Message.Id:N}:{++_writes}";

    /// <summary>Runs a planning tool (<paramref name="call"/> gets this turn) and records it with the item it left behind.</summary>
    public Task<string> RecordAsync(
        string tool, Dictionary<string, string?> arguments, Func<ToolTurn, Task<(string Result, Guid? EventId, Guid? GoalId, Guid? HabitId, ItemState? Item)>> call) =>
        RecordCallAsync(tool, arguments, "The planner is unreachable right now.", async () =>
        {
            var (result, eventId, goalId, habitId, item) = await call(this);
            return (result, new ToolCallRecord(tool, arguments, true, null, eventId, goalId, habitId, item));
        });

    /// <summary>Runs a memory tool and records it with what a forget request waits on the user's yes for.</summary>
    public Task<string> RecordMemoryAsync(
        string tool, Dictionary<string, string?> arguments, Func<ToolTurn, Task<(string Result, IReadOnlyList<ForgetCandidate>? Candidates)>> call) =>
        RecordCallAsync(tool, arguments, "Memory is unreachable right now.", async () =>
        {
            var (result, candidates) = await call(this);
            return (result, new ToolCallRecord(tool, arguments, true, null, null, null, null, ForgetCandidates: candidates));
        });

    /// <summary>
    /// Runs a tool and records the call for the message metadata. A refusal (the Goals service's own words, a bad argument,
    /// Memory unreachable) is told to the model as it is; anything else (down, timed out, circuit open) as <paramref name="unreachable"/>.
    /// </summary>
    private async Task<string> RecordCallAsync(
        string tool, Dictionary<string, string?> arguments, string unreachable, Func<Task<(string Result, ToolCallRecord Record)>> call)
    {
        try
        {
            var (result, record) = await call();
            _calls.Add(record);
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException || !turnCancellation.IsCancellationRequested)
        {
            var error = e is GoalsApiException or ToolArgumentException or MemoryUnavailableException ? e.Message : unreachable;
            _calls.Add(new ToolCallRecord(tool, arguments, false, error, null, null, null));
            throw new KernelException(error, e);
        }
    }
}
