using Aimi.AI;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Assistant.Local;
using Xunit;

namespace Aimi.Chat.Tests.Assistant;

/// <summary>Intent and slot tables for the local model, with one pending item ("Call mom", tomorrow 09:00) in the prompt.</summary>
public sealed class LocalIntentRecognizerTests
{
    private const string PendingId = "11111111-1111-1111-1111-111111111111";

    private static readonly ConversationState State = new(
        AiTestHost.Now,
        AiTestHost.Berlin,
        [new PendingItem(Guid.Parse(PendingId), "Call mom", "pending_confirmation", AiTestHost.Now.AddDays(1))],
        null);

    [Theory]
    [InlineData("remind me tomorrow at 6pm to call mom", "create_event", "title=Call mom|startsAt=2026-11-25T18:00:00+01:00")]
    [InlineData("Remind me about the dentist on Friday at 10", "create_event", "title=Dentist|startsAt=2026-11-27T10:00:00+01:00")]
    [InlineData("call mom tomorrow at 18:00", "create_event", "title=Call mom|startsAt=2026-11-25T18:00:00+01:00")]
    [InlineData("schedule a meeting with Bob next monday at 3pm", "create_event", "title=Meeting with Bob|startsAt=2026-11-30T15:00:00+01:00")]
    [InlineData("I have a doctor's appointment on 3 December at 9:30", "create_event", "title=Doctor's appointment|startsAt=2026-12-03T09:30:00+01:00")]
    [InlineData("Напомни мне завтра в 9 утра позвонить врачу", "create_event", "title=Позвонить врачу|startsAt=2026-11-25T09:00:00+01:00")]
    [InlineData("напомни купить хлеб через 2 часа", "create_event", "title=Купить хлеб|startsAt=2026-11-24T11:00:00+01:00")]
    [InlineData("запланируй встречу с Олегом в пятницу в 15:00", "create_event", "title=Встреча с Олегом|startsAt=2026-11-27T15:00:00+01:00")]
    [InlineData("завтра в 18:00 позвонить маме", "create_event", "title=Позвонить маме|startsAt=2026-11-25T18:00:00+01:00")]
    [InlineData("add a task to buy groceries", "create_task", "title=Buy groceries")]
    [InlineData("todo: fix the bike", "create_task", "title=Fix the bike")]
    [InlineData("I need to finish the report by Friday", "create_task", "title=Finish the report|dueAt=2026-11-27T18:00:00+01:00")]
    [InlineData("добавь задачу: оплатить интернет", "create_task", "title=Оплатить интернет")]
    [InlineData("надо сдать отчёт до пятницы", "create_task", "title=Сдать отчёт|dueAt=2026-11-27T18:00:00+01:00")]
    [InlineData("I want to learn Spanish", "create_goal", "title=Learn Spanish")]
    [InlineData("new goal: lose 5 kg by March 1", "create_goal", "title=Lose 5 kg|dueDate=2027-03-01")]
    [InlineData("set a goal to read 20 books", "create_goal", "title=Read 20 books")]
    [InlineData("хочу выучить испанский", "create_goal", "title=Выучить испанский")]
    [InlineData("I want to meditate every morning", "create_habit", "title=Meditate|cadence=0 8 * * *")]
    [InlineData("remind me to drink water every day at 10am", "create_habit", "title=Drink water|cadence=0 10 * * *")]
    [InlineData("every monday at 9 weekly review", "create_habit", "title=Weekly review|cadence=0 9 * * 1")]
    [InlineData("хочу бегать каждое утро", "create_habit", "title=Бегать|cadence=0 8 * * *")]
    [InlineData("по понедельникам в 9 планёрка", "create_habit", "title=Планёрка|cadence=0 9 * * 1")]
    [InlineData("yes please", "confirm_event", "eventId=" + PendingId)]
    [InlineData("sure, confirm it", "confirm_event", "eventId=" + PendingId)]
    [InlineData("подтверждаю", "confirm_event", "eventId=" + PendingId)]
    [InlineData("I did it!", "complete_task", "eventId=" + PendingId)]
    [InlineData("готово", "complete_task", "eventId=" + PendingId)]
    [InlineData("я всё сделала", "complete_task", "eventId=" + PendingId)]
    [InlineData("move it to friday", "postpone_event", "eventId=" + PendingId + "|to=2026-11-27T09:00:00+01:00")]
    [InlineData("can you push it by 30 minutes?", "postpone_event", "eventId=" + PendingId + "|by=00:30:00")]
    [InlineData("reschedule the call to tomorrow at 7pm", "postpone_event", "to=2026-11-25T19:00:00+01:00")]
    [InlineData("перенеси на завтра", "postpone_event", "to=2026-11-25T09:00:00+01:00")]
    [InlineData("перенеси звонок на 19:00", "postpone_event", "to=2026-11-25T19:00:00+01:00")]
    [InlineData("отложи на 2 часа", "postpone_event", "by=02:00:00")]
    [InlineData("cancel the call with mom", "cancel_event", "eventId=" + PendingId)]
    [InlineData("отмени звонок маме", "cancel_event", "eventId=" + PendingId)]
    [InlineData("what do I have tomorrow?", "list_agenda", "date=2026-11-25")]
    [InlineData("show my agenda", "list_agenda", "date=2026-11-24")]
    [InlineData("what's planned for friday?", "list_agenda", "date=2026-11-27")]
    [InlineData("какие планы на завтра", "list_agenda", "date=2026-11-25")]
    [InlineData("goodbye!", "end_session", "")]
    [InlineData("see you later", "end_session", "")]
    [InlineData("до встречи", "end_session", "")]
    public void Intents_and_slots(string message, string tool, string expectedArguments)
    {
        var decision = LocalIntentRecognizer.Decide(message, State);

        Assert.Equal(tool, decision.Tool);
        foreach (var pair in expectedArguments.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            Assert.Equal(pair[(at + 1)..], decision.Arguments.GetValueOrDefault(pair[..at]));
        }
    }

    [Theory]
    [InlineData("no", "Okay, I'll leave “Call mom” unconfirmed. Should I move it or cancel it?")]
    [InlineData("нет", "Хорошо, «Call mom» пока остаётся неподтверждённым. Перенести или отменить?")]
    [InlineData("пока нет", "Хорошо, «Call mom» пока остаётся неподтверждённым. Перенести или отменить?")]
    [InlineData("I'm tired today", "Sorry to hear that. Maybe take a short break? If you like, I can move something from today's plan.")]
    [InlineData("мне грустно", "Сочувствую. Может, сделать небольшую паузу? Если хотите, перенесу что-нибудь из сегодняшних планов.")]
    [InlineData("what can you do?", "I can note tasks, events, goals and habits (\"remind me to call mom tomorrow at 6pm\"), confirm, move or cancel them, and show your agenda for a day.")]
    [InlineData("the weather is odd", "I'm not sure I understood. I can note a task, an event, a goal or a habit, move or cancel them, or show you your agenda.")]
    public void Replies_without_tools(string message, string reply)
    {
        var decision = LocalIntentRecognizer.Decide(message, State);

        Assert.Null(decision.Tool);
        Assert.Equal(reply, decision.Reply);
    }

    private const string AskedId = "22222222-2222-2222-2222-222222222222";

    // A follow-up asked how the dentist went; "Call mom" still waits for confirmation.
    private static readonly ConversationState AfterFollowUp = State with
    {
        PendingItems = [new PendingItem(Guid.Parse(AskedId), "Dentist", "awaiting_feedback", AiTestHost.Now.AddHours(-2)), .. State.PendingItems],
    };

    [Theory]
    [InlineData("it went well", "done", null)]
    [InlineData("It went great, thanks", "done", null)]
    [InlineData("the dentist was fine, all good", "done", null)]
    [InlineData("I missed it", "missed", null)]
    [InlineData("it didn't happen", "missed", null)]
    [InlineData("partly, I only did the cleaning", "done", "partly, I only did the cleaning")]
    [InlineData("прошло хорошо", "done", null)]
    [InlineData("всё получилось!", "done", null)]
    [InlineData("не получилось", "missed", null)]
    [InlineData("я не успела", "missed", null)]
    [InlineData("пропущено", "missed", null)]
    [InlineData("частично", "done", "частично")]
    public void An_answer_to_how_did_it_go_records_feedback_on_the_item_asked_about(string message, string outcome, string? note)
    {
        var decision = LocalIntentRecognizer.Decide(message, AfterFollowUp);

        Assert.Equal(AssistantTools.RecordFeedback, decision.Tool);
        Assert.Equal(AskedId, decision.Arguments[AssistantTools.Parameters.EventId]);
        Assert.Equal(outcome, decision.Arguments[AssistantTools.Parameters.Outcome]);
        Assert.Equal(note, decision.Arguments.GetValueOrDefault(AssistantTools.Parameters.Note));
    }

    [Theory]
    [InlineData("it went well")]
    [InlineData("не получилось")]
    public void Without_an_item_awaiting_feedback_the_same_words_record_nothing(string message)
    {
        Assert.NotEqual(AssistantTools.RecordFeedback, LocalIntentRecognizer.Decide(message, State).Tool);
    }

    [Theory]
    [InlineData("Hello", ReplyLanguage.English)]
    [InlineData("Привет, как дела", ReplyLanguage.Russian)]
    [InlineData("напомни call mom", ReplyLanguage.English)]
    [InlineData("позвонить Bob завтра", ReplyLanguage.Russian)]
    public void Language_follows_the_script_of_the_message(string message, ReplyLanguage language)
    {
        Assert.Equal(language, LocalIntentRecognizer.DetectLanguage(message));
    }

    [Theory]
    [InlineData("hi", "I'm preparing for an interview at Contoso", "Hi! How are the preparations for an interview at Contoso going?")]
    [InlineData("привет", "Я готовлюсь к собеседованию в Contoso", "Привет! Как идёт подготовка к собеседованию в Contoso?")]
    public void A_new_conversations_greeting_asks_about_what_the_user_is_working_towards(string message, string remembered, string reply)
    {
        var state = new ConversationState(
            AiTestHost.Now, AiTestHost.Berlin, [], null, FirstTurn: true,
            Remembered: [new("I like tea", "fact", null, "likes"), new(remembered, "fact", new DateOnly(2026, 11, 20), "preparing_for")]);

        Assert.Equal(reply, LocalIntentRecognizer.Decide(message, state).Reply);
        // Later in the conversation, a greeting is only a greeting.
        Assert.DoesNotContain("Contoso", LocalIntentRecognizer.Decide(message, state with { FirstTurn = false }).Reply);
    }
}
