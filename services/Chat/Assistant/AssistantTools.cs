using Microsoft.SemanticKernel;

namespace Aimi.Chat.Api.Assistant;

/// <summary>
/// The tool contract between the Chat service's Semantic Kernel plugin and the models (the local model emits exactly these
/// names and parameters). Kernel function names must equal the <c>*</c> constants; the plugin name is free (the local model
/// matches <c>name</c>, <c>plugin-name</c> and <c>plugin_name</c>). Every argument arrives as a string: instants are
/// ISO-8601 with the user's offset (<c>2026-11-25T18:00:00+01:00</c>), dates <c>yyyy-MM-dd</c>, durations <c>hh:mm:ss</c>.
/// </summary>
public static class AssistantTools
{
    /// <summary>create_event(title, startsAt, endsAt?, notes?): a timed event or reminder; starts as pending_confirmation.</summary>
    public const string CreateEvent = "create_event";

    /// <summary>create_task(title, dueAt?, notes?): a to-do, optionally with a due instant.</summary>
    public const string CreateTask = "create_task";

    /// <summary>create_goal(title, description?, dueDate?).</summary>
    public const string CreateGoal = "create_goal";

    /// <summary>create_habit(title, cadence, goalId?): cadence is a 5-field cron in the user's timezone, e.g. <c>0 7 * * 1-5</c>.</summary>
    public const string CreateHabit = "create_habit";

    /// <summary>confirm_event(eventId): the user agreed to a pending item.</summary>
    public const string ConfirmEvent = "confirm_event";

    /// <summary>complete_task(eventId): the user did it.</summary>
    public const string CompleteTask = "complete_task";

    /// <summary>record_feedback(eventId, outcome, note?): how a past event went — outcome <c>done</c> or <c>missed</c>; "partly" is done with a note.</summary>
    public const string RecordFeedback = "record_feedback";

    /// <summary>postpone_event(eventId, to? | by?): to = new start instant; by = shift as <c>hh:mm:ss</c> or <c>d.hh:mm:ss</c>.</summary>
    public const string PostponeEvent = "postpone_event";

    /// <summary>cancel_event(eventId, reason?).</summary>
    public const string CancelEvent = "cancel_event";

    /// <summary>list_agenda(date?): the user's day (<c>yyyy-MM-dd</c> in their timezone; today when omitted).</summary>
    public const string ListAgenda = "list_agenda";

    /// <summary>end_session(): the user said goodbye.</summary>
    public const string EndSession = "end_session";

    /// <summary>search_memory(query, from?, to?): what the user told before, closest to the query; from/to (<c>yyyy-MM-dd</c>) keep only those days.</summary>
    public const string SearchMemory = "search_memory";

    /// <summary>
    /// forget_memory(query? | memoryIds?): with a query, forgets what it matches when that is one thing, else answers with the
    /// candidates to confirm; with memoryIds (comma-separated, from those candidates, after the user agreed) forgets them.
    /// </summary>
    public const string ForgetMemory = "forget_memory";

    /// <summary>Execution settings that let the model choose among the kernel's functions and have Semantic Kernel invoke them.</summary>
    public static PromptExecutionSettings AutoInvokeSettings() => new() { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

    public static IReadOnlyList<string> All { get; } =
    [
        CreateEvent, CreateTask, CreateGoal, CreateHabit, ConfirmEvent, CompleteTask, RecordFeedback, PostponeEvent, CancelEvent, ListAgenda, EndSession,
        SearchMemory, ForgetMemory,
    ];

    /// <summary>Parameter names, shared by every tool that takes them.</summary>
    public static class Parameters
    {
        public const string Title = "title";
        public const string StartsAt = "startsAt";
        public const string EndsAt = "endsAt";
        public const string DueAt = "dueAt";
        public const string Notes = "notes";
        public const string Description = "description";
        public const string DueDate = "dueDate";
        public const string Cadence = "cadence";
        public const string GoalId = "goalId";
        public const string EventId = "eventId";
        public const string To = "to";
        public const string By = "by";
        public const string Reason = "reason";
        public const string Date = "date";
        public const string Outcome = "outcome";
        public const string Note = "note";
        public const string Query = "query";
        public const string From = "from";
        public const string MemoryIds = "memoryIds";
    }

    /// <summary>The words of record_feedback's <c>outcome</c> (Goals' feedback outcomes).</summary>
    public static class Outcomes
    {
        public const string Done = "done";
        public const string Missed = "missed";
    }

    /// <summary>Descriptions for the plugin's <c>[Description]</c> attributes, so a real LLM reads the same contract.</summary>
    public static class Descriptions
    {
        public const string CreateEvent = "Create a timed event or reminder for the user. It starts unconfirmed until the user agrees.";
        public const string CreateTask = "Create a task (to-do) for the user, optionally with a due time.";
        public const string CreateGoal = "Create a long-term goal for the user.";
        public const string CreateHabit = "Create a recurring habit with a cron cadence in the user's timezone.";
        public const string ConfirmEvent = "Confirm a pending event or task after the user agreed to it.";
        public const string CompleteTask = "Mark an event or task as done.";
        public const string RecordFeedback = "Record how a past event went, after the user answered a follow-up: outcome 'done' or 'missed'; for 'partly' use done with a note.";
        public const string Outcome = "'done' or 'missed'.";
        public const string Note = "Optional short note in the user's words, e.g. what was left undone.";
        public const string PostponeEvent = "Move an event or task to a new time ('to') or by a duration ('by').";
        public const string CancelEvent = "Cancel an event or task.";
        public const string ListAgenda = "List the user's events and tasks for one day.";
        public const string EndSession = "End the conversation when the user says goodbye.";

        public const string SearchMemory =
            "Search what the user told you in earlier conversations (their facts, plans, people, what happened). Use it when the Remember block does not answer a question about the user. Returns their own words (\"I\" is the user) with the day said.";
        public const string ForgetMemory =
            "Forget something about the user when they ask you to. Call it with 'query' (what to forget, in their words); if it answers needsConfirmation, show the candidates, ask once, and after a yes call it again with their ids as 'memoryIds'.";
        public const string Query = "What to look for, in the user's words, e.g. 'where my sister lives'.";
        public const string FromDate = "Optional first day (yyyy-MM-dd) of the period asked about, in the user's timezone.";
        public const string ToDate = "Optional last day (yyyy-MM-dd) of the period asked about.";
        public const string ForgetQuery = "What to forget, in the user's words, e.g. 'I live in Berlin'.";
        public const string MemoryIds = "Comma-separated ids of the candidates the user agreed to forget.";

        public const string Title = "Short title in the user's language, e.g. 'Call mom'.";
        public const string Instant = "ISO-8601 date and time with the user's UTC offset, e.g. 2026-11-25T18:00:00+01:00.";
        public const string Date = "Date in the user's timezone, yyyy-MM-dd.";
        public const string Cadence = "Five-field cron expression in the user's timezone, e.g. '0 7 * * 1-5' for weekdays at 07:00.";
        public const string EventId = "Id (GUID) of the event or task.";
        public const string By = "Duration to shift by, hh:mm:ss (e.g. 01:00:00) or d.hh:mm:ss.";
    }
}
