using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aimi.Testing;

namespace Aimi.IntegrationTests;

/// <summary>The script of one user's three conversations with the local model: what they say, what they ask, what the replies must hold.</summary>
/// <param name="Told">Statements of the first session, each with a word its acknowledgement must repeat.</param>
/// <param name="Asked">Questions of the second session (six kinds of fact), each with what the answer must name.</param>
public sealed record MemoryScript(
    string Language,
    (string Said, string Echo)[] Told,
    string Bye,
    string Hello,
    string OpeningNames,
    (string Question, string Answer)[] Asked,
    string WhatDoYouKnow,
    string KnownFact,
    string Unknown,
    string DontKnow,
    string TodayQuestion,
    string Moved,
    string WhereDoILive,
    string NewHome,
    string OldHome,
    string Forget,
    string Forgotten,
    string AskForgotten,
    string ForgottenWord);

/// <summary>
/// The assistant uses what it remembers, through the gateway, Chat and the real Memory service (local model, MiniLM):
/// statements acknowledged; after a new session, questions about six kinds of facts answered; "what do you know about me";
/// a question about today; an honest "don't know"; a moved home answered with the new city; a forgotten thing not mentioned again.
/// </summary>
public partial class SystemTests
{
    public static TheoryData<MemoryScript> MemoryScripts() => new()
    {
        new MemoryScript(
            "en",
            [
                ("I'm preparing for the bar exam", "bar exam"), ("My sister lives in Paris", "your sister lives in Paris"),
                ("I work as a nurse", "you work as a nurse"), ("I'm allergic to peanuts", "peanuts"), ("I live in Berlin", "you live in Berlin"),
                ("I have a dog called Rex", "Rex"),
            ],
            "bye", "hi", "bar exam",
            [
                ("What am I preparing for?", "bar exam"), ("Where does my sister live?", "Paris"), ("What do I do for work?", "nurse"),
                ("Am I allergic to anything?", "peanuts"), ("Where do I live?", "Berlin"), ("What's my dog's name?", "Rex"),
            ],
            "What do you know about me?", "nurse",
            "Where does my brother live?", "don't know",
            "What did I tell you today?",
            "I moved to Munich", "Where do I live?", "Munich", "Berlin",
            "Please forget that I have a dog", "forgotten", "What's my dog's name?", "Rex"),
        new MemoryScript(
            "ru",
            [
                ("Я готовлюсь к экзамену по праву", "к экзамену"), ("Моя сестра живёт в Казани", "ваша сестра живёт в Казани"),
                ("Я работаю медсестрой", "вы работаете медсестрой"), ("У меня аллергия на орехи", "у вас аллергия на орехи"),
                ("Я живу в Берлине", "вы живёте в Берлине"), ("У меня есть собака Рекс", "Рекс"),
            ],
            "пока", "привет", "к экзамену",
            [
                ("К чему я готовлюсь?", "к экзамену по праву"), ("Где живёт моя сестра?", "Казани"), ("Кем я работаю?", "медсестрой"),
                ("На что у меня аллергия?", "орехи"), ("Где я живу?", "Берлине"), ("Как зовут мою собаку?", "Рекс"),
            ],
            "Что ты обо мне знаешь?", "медсестрой",
            "Где живёт мой брат?", "Пока не знаю",
            "Что я тебе сегодня говорила?",
            "Я переехала в Мюнхен", "Где я живу?", "Мюнхен", "Берлин",
            "Забудь, что у меня есть собака", "забыла", "Как зовут мою собаку?", "Рекс"),
    };

    [Theory]
    [MemberData(nameof(MemoryScripts))]
    public async Task The_assistant_acknowledges_answers_from_memory_and_forgets_on_request(MemoryScript script)
    {
        ArgumentNullException.ThrowIfNull(script);
        using var http = new HttpClient { BaseAddress = system.Gateway, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(http, $"e2e-recall-{script.Language}-{Guid.NewGuid():N}"));
        (await http.PutAsJsonAsync(new Uri("/me", UriKind.Relative), new { locale = script.Language })).EnsureSuccessStatusCode();

        // Session 1: what the user tells is acknowledged, showing what was understood, never "not sure I understood".
        foreach (var (said, echo) in script.Told)
        {
            var reply = await ReplyAsync(http, said);
            Assert.Contains(echo, reply, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("not sure", reply, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Не уверена", reply, StringComparison.Ordinal);
        }
        Assert.True((await SendAsync(http, script.Bye)).GetProperty("sessionEnded").GetBoolean());
        await FactsAsync(http, facts => facts.Count >= 3, "facts of the first session");

        // Session 2: the opening asks about what the user works towards; six kinds of fact are answered from memory.
        Assert.Contains(script.OpeningNames, await ReplyAsync(http, script.Hello), StringComparison.OrdinalIgnoreCase);
        foreach (var (question, answer) in script.Asked)
        {
            Assert.Contains(answer, await ReplyAsync(http, question), StringComparison.OrdinalIgnoreCase);
        }
        var known = await ReplyAsync(http, script.WhatDoYouKnow);
        Assert.Contains(script.KnownFact, known, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(script.DontKnow, await ReplyAsync(http, script.Unknown), StringComparison.OrdinalIgnoreCase);
        var today = await ReplyAsync(http, script.TodayQuestion);
        Assert.Contains(script.Told.Select(t => t.Echo.Split(' ')[^1]), word => today.Contains(word, StringComparison.OrdinalIgnoreCase));
        await ReplyAsync(http, script.Moved);
        Assert.True((await SendAsync(http, script.Bye)).GetProperty("sessionEnded").GetBoolean());
        await FactsAsync(http, facts => facts.Any(f => f.Contains(script.NewHome, StringComparison.OrdinalIgnoreCase)), "the new home");

        // Session 3: the old home is history, not the answer; what the user asks to forget is gone and not mentioned again.
        await ReplyAsync(http, script.Hello);
        var home = await ReplyAsync(http, script.WhereDoILive);
        Assert.Contains(script.NewHome, home, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(script.OldHome, home, StringComparison.OrdinalIgnoreCase);
        var forgot = await SendAsync(http, script.Forget);
        Assert.Contains(script.Forgotten, forgot.GetProperty("reply").GetProperty("content").GetString()!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("forget_memory", forgot.GetProperty("reply").GetProperty("metadata").GetProperty("toolCalls")[0].GetProperty("name").GetString());
        Assert.DoesNotContain(script.ForgottenWord, await ReplyAsync(http, script.AskForgotten), StringComparison.OrdinalIgnoreCase);
        var search = await http.GetFromJsonAsync<JsonElement>(new Uri($"/memory/search?q={Uri.EscapeDataString(script.ForgottenWord)}&k=20", UriKind.Relative));
        Assert.DoesNotContain(search.EnumerateArray(), m => m.GetProperty("content").GetString()!.Contains(script.ForgottenWord, StringComparison.OrdinalIgnoreCase));
    }

    private async Task<string> ReplyAsync(HttpClient http, string content)
    {
        var reply = (await SendAsync(http, content)).GetProperty("reply").GetProperty("content").GetString()!;
        output.WriteLine($"> {content}\n< {reply}");
        return reply;
    }

    private static Task<List<string>> FactsAsync(HttpClient http, Func<List<string>, bool> until, string what) =>
        Eventually.GetAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>(new Uri("/memory/facts", UriKind.Relative)))
                .EnumerateArray().Select(f => f.GetProperty("content").GetString()!).ToList(),
            until, TimeSpan.FromSeconds(60), what);
}
