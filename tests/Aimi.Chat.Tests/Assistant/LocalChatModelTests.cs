using Aimi.AI;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Assistant.Local;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Xunit;

namespace Aimi.Chat.Tests.Assistant;

/// <summary>The local model driven by Semantic Kernel's automatic function calling, end to end through a real Kernel.</summary>
public sealed class LocalChatModelTests : IDisposable
{
    private readonly AiTestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task English_reminder_calls_create_event_with_the_users_instant_and_reports_it()
    {
        var reply = await _host.AskAsync(AiTestHost.History("remind me to call mom tomorrow at 6pm"));

        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(AssistantTools.CreateEvent, call.Tool);
        Assert.Equal("Call mom", call.Arguments[AssistantTools.Parameters.Title]);
        Assert.Equal("2026-11-25T18:00:00+01:00", call.Arguments[AssistantTools.Parameters.StartsAt]);
        Assert.Equal("Got it: “Call mom” tomorrow at 18:00. Shall I confirm it?", reply.Content);
    }

    [Fact]
    public async Task Russian_reminder_calls_create_event_with_the_same_instant_and_answers_in_russian()
    {
        var reply = await _host.AskAsync(AiTestHost.History("напомни позвонить маме завтра в 18:00"));

        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(AssistantTools.CreateEvent, call.Tool);
        Assert.Equal("Позвонить маме", call.Arguments[AssistantTools.Parameters.Title]);
        Assert.Equal("2026-11-25T18:00:00+01:00", call.Arguments[AssistantTools.Parameters.StartsAt]);
        Assert.Equal("Записано: «Позвонить маме» завтра в 18:00. Подтверждаете?", reply.Content);
    }

    [Fact]
    public async Task Streaming_runs_the_same_tool_once_and_streams_the_reply_in_pieces()
    {
        var text = await _host.AskStreamingAsync(AiTestHost.History("remind me to call mom tomorrow at 6pm"));

        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal("2026-11-25T18:00:00+01:00", call.Arguments[AssistantTools.Parameters.StartsAt]);
        Assert.Equal("Got it: “Call mom” tomorrow at 18:00. Shall I confirm it?", text);
        Assert.True(_host.StreamedChunks.Count > 3);
    }

    [Theory]
    [InlineData("every weekday at 7 go for a run", "create_habit", "title=Go for a run|cadence=0 7 * * 1-5")]
    [InlineData("каждый будний день в 7 делать зарядку", "create_habit", "title=Делать зарядку|cadence=0 7 * * 1-5")]
    [InlineData("my goal is to run a marathon by June 1", "create_goal", "title=Run a marathon|dueDate=2027-06-01")]
    [InlineData("моя цель — выучить испанский", "create_goal", "title=Выучить испанский")]
    [InlineData("I need to buy milk tomorrow", "create_task", "title=Buy milk|dueAt=2026-11-25T18:00:00+01:00")]
    [InlineData("добавь задачу купить хлеб", "create_task", "title=Купить хлеб")]
    [InlineData("через 2 часа напомни выпить воду", "create_event", "title=Выпить воду|startsAt=2026-11-24T11:00:00+01:00")]
    [InlineData("в пятницу в 9 утра встреча с Анной", "create_event", "title=Встреча с Анной|startsAt=2026-11-27T09:00:00+01:00")]
    [InlineData("dentist on friday at 2:30pm", "create_event", "title=Dentist|startsAt=2026-11-27T14:30:00+01:00")]
    [InlineData("what's on today?", "list_agenda", "date=2026-11-24")]
    [InlineData("что у меня завтра?", "list_agenda", "date=2026-11-25")]
    [InlineData("bye", "end_session", "")]
    [InlineData("ok, thanks, bye!", "end_session", "")]
    [InlineData("пока", "end_session", "")]
    [InlineData("до свидания!", "end_session", "")]
    public async Task Intents_become_the_contract_tool_calls(string message, string tool, string expectedArguments)
    {
        await _host.AskAsync(AiTestHost.History(message));

        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(tool, call.Tool);
        foreach (var pair in expectedArguments.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
            Assert.Equal(value, call.Arguments.GetValueOrDefault(name));
        }
    }

    [Theory]
    [InlineData("yes", "confirm_event", "Confirmed: “Call mom” tomorrow at 18:00.")]
    [InlineData("да, подтверждаю", "confirm_event", "Подтверждено: «Call mom» завтра в 18:00.")]
    [InlineData("cancel it", "cancel_event", "Cancelled “Call mom”.")]
    [InlineData("отмени это", "cancel_event", "Отменено: «Call mom».")]
    public async Task It_refers_to_the_pending_item_of_the_system_prompt(string message, string tool, string expectedReply)
    {
        var item = _host.Plugin.Seed("Call mom", "pending_confirmation", DateTimeOffset.Parse("2026-11-25T18:00:00+01:00", System.Globalization.CultureInfo.InvariantCulture));
        var pending = new PendingItem(item.Id, item.Title, item.Status, DateTimeOffset.Parse(item.StartsAt!, System.Globalization.CultureInfo.InvariantCulture));

        var reply = await _host.AskAsync(AiTestHost.History(message, pending));

        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(tool, call.Tool);
        Assert.Equal(item.Id.ToString("D"), call.Arguments[AssistantTools.Parameters.EventId]);
        Assert.Equal(expectedReply, reply.Content);
    }

    [Theory]
    [InlineData("move it to Friday", "to", "2026-11-27T18:00:00+01:00", "Moved “Call mom” to Fri 27 Nov at 18:00.")]
    [InlineData("перенеси на час", "by", "01:00:00", "Перенесено: «Call mom» — завтра в 19:00.")]
    [InlineData("postpone it to tomorrow at 8pm", "to", "2026-11-25T20:00:00+01:00", "Moved “Call mom” to tomorrow at 20:00.")]
    public async Task Postpone_moves_the_item_to_a_time_or_by_a_duration(string message, string argument, string value, string expectedReply)
    {
        var item = _host.Plugin.Seed("Call mom", "planned", DateTimeOffset.Parse("2026-11-25T18:00:00+01:00", System.Globalization.CultureInfo.InvariantCulture));
        var pending = new PendingItem(item.Id, item.Title, item.Status, DateTimeOffset.Parse(item.StartsAt!, System.Globalization.CultureInfo.InvariantCulture));

        var reply = await _host.AskAsync(AiTestHost.History(message, pending));

        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(AssistantTools.PostponeEvent, call.Tool);
        Assert.Equal(value, call.Arguments[argument]);
        Assert.Equal(expectedReply, reply.Content);
    }

    [Theory]
    [InlineData("done!", "Well done! “Stretch” is marked as done.")]
    [InlineData("я сделал", "Отлично! «Stretch» — выполнено.")]
    public async Task Complete_marks_the_item_awaiting_feedback_as_done(string message, string expectedReply)
    {
        var other = _host.Plugin.Seed("Call mom", "pending_confirmation", AiTestHost.Now.AddDays(1));
        var item = _host.Plugin.Seed("Stretch", "awaiting_feedback", AiTestHost.Now.AddHours(-1));

        var reply = await _host.AskAsync(AiTestHost.History(message,
            new PendingItem(other.Id, other.Title, other.Status, AiTestHost.Now.AddDays(1)),
            new PendingItem(item.Id, item.Title, item.Status, AiTestHost.Now.AddHours(-1))));

        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(AssistantTools.CompleteTask, call.Tool);
        Assert.Equal(item.Id.ToString("D"), call.Arguments[AssistantTools.Parameters.EventId]);
        Assert.Equal(expectedReply, reply.Content);
    }

    [Fact]
    public async Task It_refers_to_the_item_created_earlier_in_the_same_conversation()
    {
        var history = AiTestHost.History("remind me to call mom tomorrow at 6pm");
        await _host.AskAsync(history);
        var created = _host.Plugin.ListAgenda("2026-11-25").Single();

        history.AddUserMessage("yes");
        var reply = await _host.AskAsync(history);

        var confirm = _host.Plugin.Calls.Single(c => c.Tool == AssistantTools.ConfirmEvent);
        Assert.Equal(created.Id.ToString("D"), confirm.Arguments[AssistantTools.Parameters.EventId]);
        Assert.Equal("Confirmed: “Call mom” tomorrow at 18:00.", reply.Content);
    }

    [Theory]
    [InlineData("hi", "Call mom", "Hi! Before we go on: “Call mom” (tomorrow at 18:00) is still waiting for your confirmation. Shall I confirm it?")]
    [InlineData("привет", "Позвонить маме", "Привет! Сначала о незавершённом: «Позвонить маме» (завтра в 18:00) ждёт подтверждения. Подтвердить?")]
    [InlineData("", "Позвонить маме", "Сначала о незавершённом: «Позвонить маме» (завтра в 18:00) ждёт подтверждения. Подтвердить?")]
    public async Task A_new_session_raises_pending_items_first(string message, string title, string expected)
    {
        var item = _host.Plugin.Seed(title, "pending_confirmation", DateTimeOffset.Parse("2026-11-25T18:00:00+01:00", System.Globalization.CultureInfo.InvariantCulture));
        var history = new ChatHistory(AiTestHost.SystemPrompt(new PendingItem(item.Id, item.Title, item.Status, DateTimeOffset.Parse(item.StartsAt!, System.Globalization.CultureInfo.InvariantCulture))));
        if (message.Length > 0)
        {
            history.AddUserMessage(message);
        }

        var reply = await _host.AskAsync(history);

        Assert.Empty(_host.Plugin.Calls);
        Assert.Equal(expected, reply.Content);

        history.AddUserMessage(message.Length > 0 && message != "hi" ? "да" : "yes");
        await _host.AskAsync(history);
        var confirm = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(AssistantTools.ConfirmEvent, confirm.Tool);
        Assert.Equal(item.Id.ToString("D"), confirm.Arguments[AssistantTools.Parameters.EventId]);
    }

    [Fact]
    public async Task Yes_to_how_did_it_go_completes_the_item()
    {
        var item = _host.Plugin.Seed("Stretch", "awaiting_feedback", AiTestHost.Now.AddHours(-2));
        var history = AiTestHost.History("hello", new PendingItem(item.Id, item.Title, item.Status, AiTestHost.Now.AddHours(-2)));

        var question = await _host.AskAsync(history);
        history.AddUserMessage("yes!");
        var reply = await _host.AskAsync(history);

        Assert.Equal("Hi! How did “Stretch” (today at 07:00) go? Did you do it?", question.Content);
        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(AssistantTools.CompleteTask, call.Tool);
        Assert.Equal("Well done! “Stretch” is marked as done.", reply.Content);
    }

    [Theory]
    [InlineData("it went well", "done", "Great! I've noted that “Dentist” went well.")]
    [InlineData("не получилось", "missed", "Понятно, «Dentist» не получилось — отметила. Хотите, перенесу на другое время?")]
    public async Task The_answer_to_a_follow_up_records_feedback(string answer, string outcome, string expectedReply)
    {
        var item = _host.Plugin.Seed("Dentist", "awaiting_feedback", AiTestHost.Now.AddHours(-2));
        var history = AiTestHost.History(answer, new PendingItem(item.Id, item.Title, item.Status, AiTestHost.Now.AddHours(-2)));

        var reply = await _host.AskAsync(history);

        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal((AssistantTools.RecordFeedback, item.Id.ToString("D"), outcome),
            (call.Tool, call.Arguments[AssistantTools.Parameters.EventId], call.Arguments[AssistantTools.Parameters.Outcome]));
        Assert.Equal(expectedReply, reply.Content);
    }

    [Fact]
    public async Task Agenda_reply_lists_the_days_items_from_the_tool_result()
    {
        _host.Plugin.Seed("Dentist", "planned", DateTimeOffset.Parse("2026-11-24T14:30:00+01:00", System.Globalization.CultureInfo.InvariantCulture));
        _host.Plugin.Seed("Gym", "pending_confirmation", DateTimeOffset.Parse("2026-11-24T19:00:00+01:00", System.Globalization.CultureInfo.InvariantCulture));
        _host.Plugin.Seed("Other day", "planned", DateTimeOffset.Parse("2026-11-26T10:00:00+01:00", System.Globalization.CultureInfo.InvariantCulture));

        var english = await _host.AskAsync(AiTestHost.History("what's on today"));
        var russian = await _host.AskAsync(AiTestHost.History("что у меня сегодня"));

        Assert.Equal("Here's your agenda for today:\n- 14:30 Dentist (planned)\n- 19:00 Gym (not confirmed yet)", english.Content);
        Assert.Equal("Ваши планы на сегодня:\n- 14:30 Dentist (в плане)\n- 19:00 Gym (ещё не подтверждено)", russian.Content);
    }

    [Fact]
    public async Task Empty_agenda_says_so()
    {
        var reply = await _host.AskAsync(AiTestHost.History("what's on tomorrow?"));

        Assert.Equal("Nothing on your agenda for tomorrow.", reply.Content);
    }

    [Theory]
    [InlineData("thanks!", "You're welcome! Anything else?")]
    [InlineData("спасибо", "Пожалуйста! Обращайтесь.")]
    [InlineData("hello", "Hi! How can I help? I can add a task, an event, a goal or a habit, or tell you what's on today.")]
    [InlineData("как дела?", "Всё хорошо, спасибо! А у вас как дела?")]
    [InlineData("remind me to call mom", "When should I remind you to call mom?")]
    [InlineData("yes", "Great!")]
    public async Task Everything_else_gets_a_short_reply_in_the_users_language_without_tools(string message, string expected)
    {
        var reply = await _host.AskAsync(AiTestHost.History(message));

        Assert.Empty(_host.Plugin.Calls);
        Assert.Equal(expected, reply.Content);
    }

    [Fact]
    public async Task A_failing_tool_is_reported_politely()
    {
        _host.Plugin.FailCreateWith = "the calendar is locked";

        var reply = await _host.AskAsync(AiTestHost.History("remind me to call mom tomorrow at 6pm"));

        Assert.Single(_host.Plugin.Calls);
        Assert.StartsWith("Sorry, that didn't work", reply.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_current_time_line_the_model_asks_instead_of_guessing()
    {
        var history = new ChatHistory("You are Aimi.");
        history.AddUserMessage("remind me to call mom tomorrow at 6pm");

        var reply = await _host.AskAsync(history);

        Assert.Empty(_host.Plugin.Calls);
        Assert.Contains("current time", reply.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_tools_offered_the_model_still_answers()
    {
        var chat = _host.Kernel.GetRequiredService<IChatCompletionService>();

        var reply = await chat.GetChatMessageContentAsync(AiTestHost.History("remind me to call mom tomorrow at 6pm"));

        Assert.Empty(_host.Plugin.Calls);
        Assert.Equal("I'd note that, but I can't reach your plan right now.", reply.Content);
    }

    [Fact]
    public async Task A_question_the_remember_block_does_not_answer_is_searched_for_and_answered_from_the_result()
    {
        _host.Plugin.Remembered = [new { kind = "episode", content = "My brother Sam lives in Oslo", said = "2026-11-02", role = "user" }];
        var history = new ChatHistory(AiTestHost.SystemPrompt() + AssistantPrompt.RememberBlock([new("My sister lives in Paris", "episode", new DateOnly(2026, 11, 3))]));
        history.AddUserMessage("Where does my brother live?");

        var reply = await _host.AskAsync(history);

        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal((AssistantTools.SearchMemory, "Where does my brother live?"), (call.Tool, call.Arguments[AssistantTools.Parameters.Query]));
        Assert.Equal("You told me on 2 November: your brother Sam lives in Oslo.", reply.Content);

        // Nothing found: an honest "don't know", never the sister's city.
        _host.Plugin.Remembered = [];
        history.AddUserMessage("Where does my cousin live?");
        Assert.StartsWith("I don't know that yet", (await _host.AskAsync(history)).Content, StringComparison.Ordinal);
    }
}
