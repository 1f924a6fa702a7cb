using System.Text.Json;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Assistant.Local;
using Xunit;

namespace Aimi.Chat.Tests.Assistant;

/// <summary>
/// The local model with memory, English and Russian: statements acknowledged, questions answered from the Remember block
/// (or a search_memory call when it does not answer), "what do you know about me", forgetting, and honest "don't know".
/// The clock is Tue 24 Nov 2026 09:00 in Berlin.
/// </summary>
public sealed class LocalMemoryTests
{
    private static readonly DateOnly Nov3 = new(2026, 11, 3);
    private static readonly DateOnly Nov10 = new(2026, 11, 10);
    private static readonly DateOnly Nov20 = new(2026, 11, 20);

    private static readonly RememberedItem[] English =
    [
        new("I work as a nurse", "fact", Nov3, "works_as"),
        new("My sister lives in Paris", "episode", Nov3),
        new("I'm preparing for the bar exam", "fact", Nov10, "preparing_for"),
        new("I'm allergic to peanuts", "episode", Nov10),
        new("I live in Berlin", "fact", Nov3, "lives_in"),
        new("I moved to Munich, I live in Munich now", "fact", Nov20, "lives_in"),
        new("My exam is on Friday (27 November 2026)", "episode", Nov20),
        new("I have a dog called Rex", "episode", Nov20),
        new("Where does my sister live?", "episode", Nov20),
    ];

    private static readonly RememberedItem[] Russian =
    [
        new("Я работаю медсестрой", "fact", Nov3, "works_as"),
        new("Моя сестра живёт в Казани", "episode", Nov3),
        new("Я готовлюсь к экзамену по праву", "fact", Nov10, "preparing_for"),
        new("У меня аллергия на орехи", "episode", Nov10),
        new("Летом я хочу поехать в отпуск в Грузию", "episode", Nov10),
        new("Мой брат Макс учится в Питере", "episode", Nov20),
    ];

    private static ConversationState State(IReadOnlyList<RememberedItem> remembered, bool firstTurn = false) =>
        new(AiTestHost.Now, AiTestHost.Berlin, [], null, firstTurn, remembered);

    [Theory]
    [InlineData("I'm preparing for the bar exam", "Good luck! You're preparing for the bar exam.")]
    [InlineData("My sister lives in Paris", "Got it: your sister lives in Paris.")]
    [InlineData("I work as a nurse.", "Got it: you work as a nurse.")]
    [InlineData("I'm allergic to peanuts", "Got it: you're allergic to peanuts.")]
    [InlineData("I got the job at Contoso!", "Congratulations! You got the job at Contoso.")]
    [InlineData("My grandfather died last week", "I'm so sorry to hear that your grandfather died last week.")]
    [InlineData("Hi! I just moved to Munich", "Hi! Got it: you just moved to Munich.")]
    [InlineData("I finished my thesis last year", "Got it: you finished your thesis last year.")]
    [InlineData("Anna got married last week", "Congratulations! Anna got married last week.")]
    [InlineData("Я учусь на юриста", "Понятно: вы учитесь на юриста.")]
    [InlineData("Моя сестра живёт в Казани", "Понятно: ваша сестра живёт в Казани.")]
    [InlineData("У меня аллергия на орехи", "Понятно: у вас аллергия на орехи.")]
    [InlineData("Я готовлюсь к экзамену по праву", "Удачи! Вы готовитесь к экзамену по праву.")]
    [InlineData("Я сдала экзамен!", "Поздравляю! Вы сдали экзамен.")]
    public void A_statement_about_the_users_life_is_acknowledged_with_what_was_understood(string message, string reply)
    {
        var decision = LocalIntentRecognizer.Decide(message, State([]));

        Assert.Null(decision.Tool);
        Assert.Equal(reply, decision.Reply);
    }

    [Theory]
    [InlineData("What am I preparing for?", "You told me on 10 November: you're preparing for the bar exam.")]
    [InlineData("Where does my sister live?", "You told me on 3 November: your sister lives in Paris.")]
    [InlineData("What do I do for work?", "You told me on 3 November: you work as a nurse.")]
    [InlineData("what's my job", "You told me on 3 November: you work as a nurse.")]
    [InlineData("Am I allergic to anything?", "You told me on 10 November: you're allergic to peanuts.")]
    [InlineData("When is my exam?", "You told me on 20 November: your exam is on Friday (27 November 2026).")]
    [InlineData("What's my dog's name?", "You told me on 20 November: you have a dog called Rex.")]
    public void A_question_about_the_user_is_answered_from_the_remember_block(string question, string answer)
    {
        var decision = LocalIntentRecognizer.Decide(question, State(English));

        Assert.Null(decision.Tool);
        Assert.Equal(answer, decision.Reply);
    }

    [Theory]
    [InlineData("Где живёт моя сестра?", "Казани")]
    [InlineData("Кем я работаю?", "медсестрой")]
    [InlineData("К чему я готовлюсь?", "к экзамену по праву")]
    [InlineData("На что у меня аллергия?", "на орехи")]
    [InlineData("Что я говорил про отпуск?", "Грузию")]
    [InlineData("Где учится мой брат?", "в Питере")]
    public void A_russian_question_is_answered_in_russian(string question, string expected)
    {
        var decision = LocalIntentRecognizer.Decide(question, State(Russian));

        Assert.Null(decision.Tool);
        Assert.Matches("^(Вы говорили|Вот что вы мне говорили:)", decision.Reply);
        Assert.Contains(expected, decision.Reply, StringComparison.Ordinal);
    }

    [Fact]
    public void The_newest_of_two_facts_of_one_kind_is_the_current_one()
    {
        var reply = LocalIntentRecognizer.Decide("Where do I live?", State(English)).Reply!;

        Assert.Contains("Munich", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("Berlin", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("Paris", reply, StringComparison.Ordinal); // the sister's city is not the user's
        Assert.DoesNotContain("Berlin", LocalIntentRecognizer.Decide("What do you know about me?", State(English)).Reply!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("What do you know about me?")]
    [InlineData("tell me about myself")]
    [InlineData("Что ты обо мне знаешь?")]
    public void What_is_known_lists_the_current_facts_without_questions(string question)
    {
        var ru = question.StartsWith('Ч');
        var reply = LocalIntentRecognizer.Decide(question, State(ru ? Russian : English)).Reply!;

        Assert.StartsWith(ru ? "Вот что я о вас знаю:" : "Here's what I know about you:", reply, StringComparison.Ordinal);
        Assert.Contains(ru ? "вы работаете медсестрой" : "you work as a nurse", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("?", reply, StringComparison.Ordinal);
        Assert.InRange(reply.Split('\n').Length - 1, 2, LocalMemory.MaxListed);
        Assert.Contains("don't know much", LocalIntentRecognizer.Decide("What do you know about me?", State([])).Reply!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Where does my brother live?", "")]
    [InlineData("What did I do last weekend?", "from=2026-11-21|to=2026-11-22")]
    [InlineData("что я делала на прошлой неделе?", "from=2026-11-16|to=2026-11-22")]
    [InlineData("What did I say in May?", "from=2026-05-01|to=2026-05-31")]
    [InlineData("What did I tell you today?", "from=2026-11-24|to=2026-11-24")]
    [InlineData("Что я тебе сегодня говорила?", "from=2026-11-24|to=2026-11-24")]
    public void A_question_the_block_does_not_answer_searches_memory(string question, string period)
    {
        var decision = LocalIntentRecognizer.Decide(question, State(English));

        Assert.Equal(AssistantTools.SearchMemory, decision.Tool);
        Assert.Equal(question, decision.Arguments[AssistantTools.Parameters.Query]);
        foreach (var pair in period.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            Assert.Equal(value, decision.Arguments[name]);
        }
    }

    [Fact]
    public void A_search_result_is_the_answer_and_nothing_found_is_an_honest_dont_know()
    {
        var state = State([]) with { UserText = "Where does my brother live?" };
        var found = Search(new { kind = "episode", content = "My brother Sam lives in Oslo", said = "2026-11-02", role = "user" });

        Assert.Equal("You told me on 2 November: your brother Sam lives in Oslo.", LocalMemory.AfterTool(found, ReplyLanguage.English, state));
        var unrelated = Search(new { kind = "episode", content = "My sister lives in Paris", said = "2026-11-02", role = "user" });
        Assert.Equal(LocalMemory.DontKnow(ReplyLanguage.English), LocalMemory.AfterTool(unrelated, ReplyLanguage.English, state));
        Assert.StartsWith("I don't know that yet", LocalMemory.AfterTool(Search(), ReplyLanguage.English, state), StringComparison.Ordinal);
        Assert.StartsWith("Пока не знаю", LocalMemory.AfterTool(Search(), ReplyLanguage.Russian, state with { UserText = "Где живёт мой брат?" }), StringComparison.Ordinal);
        var failed = new ToolOutcome(AssistantTools.SearchMemory, new Dictionary<string, object?>(), null, "Memory is unreachable right now.");
        Assert.Contains("can't reach my memory", LocalMemory.AfterTool(failed, ReplyLanguage.English, state), StringComparison.Ordinal);
    }

    [Fact]
    public void A_period_search_quotes_what_was_said_then_in_order()
    {
        var state = State([]) with { UserText = "What did I do last weekend?" };
        var found = SearchOfPeriod("2026-11-21", "2026-11-22",
            new { kind = "episode", content = "I went hiking with Tom", said = "2026-11-22", role = "user" },
            new { kind = "episode", content = "I cleaned the flat", said = "2026-11-21", role = "user" },
            new { kind = "episode", content = "What should I cook?", said = "2026-11-21", role = "user" });

        Assert.Equal("Here's what you told me:\n- On 21 November: you cleaned the flat\n- On 22 November: you went hiking with Tom",
            LocalMemory.AfterTool(found, ReplyLanguage.English, state));
    }

    [Theory]
    [InlineData("forget that I live in Berlin", "I live in Berlin")]
    [InlineData("Please forget what I said about my ex", "my ex")]
    [InlineData("забудь, что я курю", "я курю")]
    [InlineData("Забудь про мою аллергию", "мою аллергию")]
    public void A_request_to_forget_calls_forget_memory_with_what_to_forget(string message, string query)
    {
        var decision = LocalIntentRecognizer.Decide(message, State(English));

        Assert.Equal(AssistantTools.ForgetMemory, decision.Tool);
        Assert.Equal(query, decision.Arguments[AssistantTools.Parameters.Query]);
    }

    [Fact]
    public void Forget_about_it_still_cancels_the_item_just_talked_about()
    {
        var item = new PendingItem(Guid.NewGuid(), "Call mom", "pending_confirmation", AiTestHost.Now.AddDays(1));
        var decision = LocalIntentRecognizer.Decide("forget about it", State(English) with { PendingItems = [item] });

        Assert.Equal(AssistantTools.CancelEvent, decision.Tool);
    }

    [Fact]
    public void Candidates_to_forget_are_forgotten_on_yes_and_kept_on_no()
    {
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        var state = State(English) with { ForgetCandidates = [new(first, "I live in Berlin"), new(second, "I love Berlin in spring")] };

        var yes = LocalIntentRecognizer.Decide("yes", state);
        Assert.Equal(AssistantTools.ForgetMemory, yes.Tool);
        Assert.Equal($"{first:D},{second:D}", yes.Arguments[AssistantTools.Parameters.MemoryIds]);
        Assert.Equal("Okay, I'll keep them.", LocalIntentRecognizer.Decide("no", state).Reply);
        Assert.Equal(AssistantTools.ForgetMemory, LocalIntentRecognizer.Decide("да", state).Tool);
    }

    [Fact]
    public void Forget_replies_say_what_happened()
    {
        var state = State([]);
        static ToolOutcome Forget(object result) =>
            new(AssistantTools.ForgetMemory, new Dictionary<string, object?>(), JsonSerializer.SerializeToElement(result), null);

        Assert.StartsWith("Done — I've forgotten it", LocalMemory.AfterTool(Forget(new { forgotten = 2 }), ReplyLanguage.English, state), StringComparison.Ordinal);
        Assert.StartsWith("I don't remember anything like that", LocalMemory.AfterTool(Forget(new { forgotten = 0, candidates = Array.Empty<object>() }), ReplyLanguage.English, state), StringComparison.Ordinal);
        var ask = LocalMemory.AfterTool(
            Forget(new { forgotten = 0, needsConfirmation = true, candidates = new[] { new { id = Guid.NewGuid(), content = "I live in Berlin" }, new { id = Guid.NewGuid(), content = "I love Berlin" } } }),
            ReplyLanguage.Russian, state);
        Assert.Equal("Я нашла об этом несколько записей:\n- I live in Berlin\n- I love Berlin\nЗабыть всё это?", ask);
    }

    [Theory]
    [InlineData("Can you move it to Friday?")]
    [InlineData("what's on today?")]
    [InlineData("What is the capital of france?")]
    public void Requests_and_other_questions_are_not_questions_about_the_user(string message)
    {
        Assert.False(LocalMemory.IsQuestionAboutUser(message));
    }

    [Fact]
    public void Without_pending_items_a_new_conversation_opens_with_an_active_goal()
    {
        var state = State([new("I like tea", "fact", Nov3, "likes")], firstTurn: true) with { Goals = ["Run a marathon", "Read more"] };

        Assert.Equal("Hi! How is your goal “Run a marathon” coming along?", LocalIntentRecognizer.Decide("hi", state).Reply);
        Assert.Equal("Привет! Как продвигается цель «Run a marathon»?", LocalIntentRecognizer.Decide("привет", state).Reply);
        Assert.Equal("Hi! How can I help? I can add a task, an event, a goal or a habit, or tell you what's on today.",
            LocalIntentRecognizer.Decide("hi", State([], firstTurn: true)).Reply);
    }

    private static ToolOutcome Search(params object[] items) =>
        new(AssistantTools.SearchMemory, new Dictionary<string, object?>(), JsonSerializer.SerializeToElement(new { items }), null);

    private static ToolOutcome SearchOfPeriod(string from, string to, params object[] items) =>
        new(AssistantTools.SearchMemory, new Dictionary<string, object?> { [AssistantTools.Parameters.From] = from, [AssistantTools.Parameters.To] = to },
            JsonSerializer.SerializeToElement(new { items }), null);
}

/// <summary>Phrasings written after the rules, to see how far they carry (the note of issue 16 lists the families).</summary>
public sealed class LocalMemoryPhrasingTests
{
    private static readonly RememberedItem[] Memory =
    [
        new("I'm a software engineer at Contoso", "fact", new DateOnly(2026, 11, 2), "works_as"),
        new("My parents live in Kyiv", "episode", new DateOnly(2026, 11, 2)),
        new("I've been studying for the GMAT", "episode", new DateOnly(2026, 11, 5)),
        new("I'm lactose intolerant", "episode", new DateOnly(2026, 11, 5)),
        new("My name is Dana", "fact", new DateOnly(2026, 11, 1), "name_is"),
        new("My brother Sam works at a bakery", "episode", new DateOnly(2026, 11, 6)),
        new("I'm flying to Japan on 3 April", "episode", new DateOnly(2026, 11, 7)),
        new("Я программист", "fact", new DateOnly(2026, 11, 2), "works_as"),
        new("Мама живёт в Самаре", "episode", new DateOnly(2026, 11, 2)),
        new("Меня зовут Оля", "fact", new DateOnly(2026, 11, 1), "name_is"),
        new("Готовлюсь к сессии", "episode", new DateOnly(2026, 11, 3)),
        new("Я не ем глютен", "episode", new DateOnly(2026, 11, 3)),
    ];

    private static ConversationState State => new(AiTestHost.Now, AiTestHost.Berlin, [], null, false, Memory);

    [Theory]
    [InlineData("What's my profession?", "software engineer")]
    [InlineData("What do I do for a living?", "software engineer")]
    [InlineData("Where do I work?", "Contoso")]
    [InlineData("Where are my parents living these days?", "Kyiv")]
    [InlineData("What am I studying for?", "GMAT")]
    [InlineData("What's my name?", "Dana")]
    [InlineData("Where does my brother work?", "bakery")]
    [InlineData("When am I flying to Japan?", "3 April")]
    [InlineData("Do you remember what my brother does?", "bakery")]
    [InlineData("Кем я работаю?", "программист")]
    [InlineData("Где живёт мама?", "Самаре")]
    [InlineData("Как меня зовут?", "Оля")]
    [InlineData("К чему я готовлюсь?", "сессии")]
    [InlineData("Что я не ем?", "глютен")]
    public void Questions(string question, string answer)
    {
        var decision = LocalIntentRecognizer.Decide(question, State);
        Assert.Null(decision.Tool);
        Assert.Contains(answer, decision.Reply, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("I'm getting ready for my driving test")]
    [InlineData("My mom is in Lisbon")]
    [InlineData("I'm a teacher")]
    [InlineData("I can't eat gluten")]
    [InlineData("I love hiking")]
    [InlineData("My name is Dana")]
    [InlineData("We have two cats")]
    [InlineData("Я программист")]
    [InlineData("Мама живёт в Самаре")]
    [InlineData("Меня зовут Оля")]
    [InlineData("Готовлюсь к сессии")]
    [InlineData("У нас две кошки")]
    [InlineData("Я не ем глютен")]
    public void Statements(string statement)
    {
        var decision = LocalIntentRecognizer.Decide(statement, State);
        Assert.Null(decision.Tool);
        Assert.DoesNotContain("not sure", decision.Reply, StringComparison.Ordinal);
        Assert.DoesNotContain("Не уверена", decision.Reply, StringComparison.Ordinal);
        Assert.DoesNotContain("?", decision.Reply, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("What have you learned about me?")]
    [InlineData("Что ты про меня помнишь?")]
    [InlineData("Что ты знаешь обо мне?")]
    public void What_is_known(string question)
    {
        Assert.Matches("^(Here's what I know about you|Вот что я о вас знаю)", LocalIntentRecognizer.Decide(question, State).Reply);
    }

    [Theory]
    [InlineData("Forget my address", "my address")]
    [InlineData("Stop remembering that I smoke", "I smoke")]
    [InlineData("Please delete the info that I'm divorced", "I'm divorced")]
    [InlineData("Удали информацию о том, что я курю", "я курю")]
    [InlineData("Забудь мой адрес", "мой адрес")]
    public void Forget(string request, string query)
    {
        var decision = LocalIntentRecognizer.Decide(request, State);
        Assert.Equal(AssistantTools.ForgetMemory, decision.Tool);
        Assert.Equal(query, decision.Arguments[AssistantTools.Parameters.Query]);
    }
}

/// <summary>A second set of phrasings, written before the rules were touched for them; what still fails is listed in the issue note.</summary>
public sealed class LocalMemorySecondPhrasingTests
{
    private static readonly RememberedItem[] Memory =
    [
        new("I teach math at a high school", "episode", new DateOnly(2026, 11, 2)),
        new("My daughter Mia is in kindergarten", "episode", new DateOnly(2026, 11, 2)),
        new("I'm training for the Berlin marathon", "fact", new DateOnly(2026, 11, 4), "preparing_for"),
        new("I can't stand cilantro", "fact", new DateOnly(2026, 11, 4), "dislikes"),
        new("Last Saturday I went climbing with Leo (21 November 2026)", "episode", new DateOnly(2026, 11, 22)),
        new("My best friend is called Jonas", "episode", new DateOnly(2026, 11, 5)),
        new("Я работаю бухгалтером в банке", "fact", new DateOnly(2026, 11, 2), "works_as"),
        new("Мой муж Игорь работает врачом", "episode", new DateOnly(2026, 11, 2)),
        new("Тренируюсь к полумарафону", "episode", new DateOnly(2026, 11, 4)),
        new("Терпеть не могу кинзу", "episode", new DateOnly(2026, 11, 4)),
    ];

    private static ConversationState State => new(AiTestHost.Now, AiTestHost.Berlin, [], null, false, Memory);

    [Theory]
    [InlineData("What subject do I teach?", "math")]
    [InlineData("Where do I teach?", "high school")]
    [InlineData("How old is my daughter?", "kindergarten")]
    [InlineData("What's my daughter called?", "Mia")]
    [InlineData("What race am I training for?", "marathon")]
    [InlineData("What food do I hate?", "cilantro")]
    [InlineData("Who is my best friend?", "Jonas")]
    [InlineData("Who did I go climbing with?", "Leo")]
    [InlineData("Где я работаю?", "банке")]
    [InlineData("Кем работает мой муж?", "врачом")]
    [InlineData("Как зовут моего мужа?", "Игорь")]
    [InlineData("К чему я тренируюсь?", "полумарафону")]
    [InlineData("Что я не люблю?", "кинзу")]
    public void Questions(string question, string answer)
    {
        var decision = LocalIntentRecognizer.Decide(question, State);
        Assert.Null(decision.Tool);
        Assert.Contains(answer, decision.Reply, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("I've been a vegetarian for ten years")]
    [InlineData("My husband's name is Tom")]
    [InlineData("Our son starts school in September")]
    [InlineData("I was born in Minsk")]
    [InlineData("Мой сын ходит в садик")]
    [InlineData("Я родилась в Минске")]
    public void Statements(string statement)
    {
        var decision = LocalIntentRecognizer.Decide(statement, State);
        Assert.Null(decision.Tool);
        Assert.DoesNotContain("not sure", decision.Reply, StringComparison.Ordinal);
        Assert.DoesNotContain("Не уверена", decision.Reply, StringComparison.Ordinal);
    }
}
