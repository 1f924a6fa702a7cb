using System.Net.Http.Json;
using System.Text.Json;
using Aimi.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Aimi.IntegrationTests.Web;

/// <summary>
/// The web client end to end: Debian's Chromium against the whole system started from the AppHost (a system of its own,
/// so nothing here disturbs the other end-to-end tests), each journey as a new user. Every screen is saved under
/// <c>artifacts/screenshots/web</c>.
/// </summary>
[Collection(WholeSystem.Name)]
public class WebClientTests(AimiSystem system, Browser browser, ITestOutputHelper output) : IClassFixture<AimiSystem>, IClassFixture<Browser>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => browser.CloseContextsAsync();

    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    // Confirmed: planned at once, scheduled once Notifications has planned its reminders.
    private static readonly System.Text.RegularExpressions.Regex PlannedOrScheduled = new("^(planned|scheduled)$");

    // A reminder can wait for the dispatcher's next due row, and the memory for the session's summary: allow for a busy machine.
    private static readonly LocatorAssertionsToBeVisibleOptions Slow = new() { Timeout = 90_000 };

    private async Task<AimiPage> OpenAsync(ViewportSize? viewport = null, string locale = "en-GB")
    {
        var page = await browser.NewPageAsync(system.Gateway, viewport, locale);
        page.Console += (_, message) => { if (message.Type is "error") output.WriteLine($"console: {message.Text}"); };
        page.Response += (_, response) => { if (response.Status >= 400) output.WriteLine($"{response.Status} {response.Request.Method} {response.Url}"); };
        var aimi = new AimiPage(page, system.Gateway);
        await aimi.OpenAsync();
        return aimi;
    }

    [Fact]
    public async Task The_page_is_served_at_the_root_with_a_strict_policy_and_unknown_files_are_404_problems()
    {
        using var http = new HttpClient { BaseAddress = system.Gateway };

        var page = await http.GetAsync("/");
        var missing = await http.GetAsync("/nothing-here.png");

        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_reminder_asked_for_in_chat_is_confirmed_with_its_button_and_planned()
    {
        var aimi = await OpenAsync();
        await Browser.ScreenshotAsync(aimi.Page, "01-sign-in");
        await aimi.AssertAccessibleAsync();
        await aimi.SignInAsync($"anna{Guid.NewGuid():N}"[..16]);

        var reply = await aimi.SendAsync("remind me to call mom tomorrow at 6pm");

        await Expect(aimi.ChatLog.Locator(".message.user .meta[data-state=answered]")).ToHaveCountAsync(1);
        await Expect(reply).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("streaming"));
        var proposal = AimiPage.AgendaItem(aimi.Pending, "all mom");
        await Expect(proposal).ToHaveAttributeAsync("data-status", "pending_confirmation");
        await Browser.ScreenshotAsync(aimi.Page, "02-chat-and-agenda-pending");
        await aimi.AssertAccessibleAsync();

        // Keyboard alone: Tab from the top of the page until the proposal's button has the focus, then Enter.
        var reached = await aimi.TabToAsync("Confirm: Call mom");
        Assert.Contains("Memory", reached);
        Assert.Contains("Message to Aimi", reached);
        await aimi.Page.Keyboard.PressAsync("Enter");

        var planned = AimiPage.AgendaItem(aimi.Upcoming, "all mom");
        await Expect(planned).ToHaveAttributeAsync("data-status", PlannedOrScheduled);
        await Expect(AimiPage.AgendaItem(aimi.Pending, "all mom")).ToHaveCountAsync(0);
        // Notifications plans the reminders and Goals marks the event scheduled: the agenda shows it after its next load.
        await AimiPage.RefreshUntilVisibleAsync(aimi.Page.Locator("#agenda-refresh"), aimi.Upcoming.Locator(".agenda-item[data-status=scheduled]", new() { HasText = "all mom" }), TimeSpan.FromSeconds(60));
        await Browser.ScreenshotAsync(aimi.Page, "03-agenda-planned");
    }

    [Fact]
    public async Task A_reminder_due_within_the_minute_arrives_live_as_a_notice_and_in_the_conversation()
    {
        var aimi = await OpenAsync();
        await aimi.SignInAsync($"ben{Guid.NewGuid():N}"[..16]);

        // Created from "another device" through the API: 15 min 20 s ahead, so its T-15m reminder is due in 20 seconds.
        using var api = await aimi.ApiAsync();
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(15).AddSeconds(20);
        var created = await api.PostAsJsonAsync("/events", new { type = "event", title = "Dentist appointment", startsAt });
        created.EnsureSuccessStatusCode();

        var notice = aimi.Page.Locator(".notice-reminder", new() { HasText = "Dentist appointment" });
        await Expect(notice).ToBeVisibleAsync(Slow);
        await Expect(aimi.ChatLog.Locator(".message.reminder", new() { HasText = "Dentist appointment" })).ToHaveCountAsync(1);
        await Browser.ScreenshotAsync(aimi.Page, "04-reminder-arrived");
        await aimi.AssertAccessibleAsync();

        // The reminder is also stored in the conversation: a reload shows it once, from the history.
        await aimi.Page.ReloadAsync();
        await Expect(aimi.ChatLog.Locator(".message.reminder", new() { HasText = "Dentist appointment" })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task After_bye_the_memory_view_shows_what_was_learnt_and_forgetting_removes_it()
    {
        var aimi = await OpenAsync();
        await aimi.SignInAsync($"cleo{Guid.NewGuid():N}"[..16]);

        await aimi.SendAsync("I live in Berlin");
        await aimi.SendAsync("bye");
        await Expect(aimi.ChatLog.Locator(".session-ended")).ToHaveCountAsync(1);
        await aimi.GoToAsync("memory");
        await AimiPage.RefreshUntilVisibleAsync(aimi.Page.Locator("#memory-refresh"), aimi.Page.Locator("#fact-list .fact", new() { HasText = "Berlin" }), TimeSpan.FromSeconds(90));

        // A later session changes the fact: the new one is current, the old one shows only as history, with what replaced it.
        await aimi.SendAsync("I'm preparing for an interview at Contoso. I live in Munich.");
        await aimi.SendAsync("bye");
        await Expect(aimi.ChatLog.Locator(".session-ended")).ToHaveCountAsync(2);

        await aimi.GoToAsync("memory");
        var fact = aimi.Page.Locator("#fact-list .fact", new() { HasText = "Contoso" });
        await AimiPage.RefreshUntilVisibleAsync(aimi.Page.Locator("#memory-refresh"), fact.First, TimeSpan.FromSeconds(90));
        // The view reads the portrait and the facts side by side: one refresh may read the portrait just before the session's end
        // is committed and the facts just after, so refresh until the portrait shows it too.
        await AimiPage.RefreshUntilVisibleAsync(aimi.Page.Locator("#memory-refresh"), aimi.Page.Locator("#portrait", new() { HasText = "Contoso" }),
            TimeSpan.FromSeconds(90));
        await Expect(aimi.Page.Locator("#fact-list .fact[data-active=true]", new() { HasText = "Munich" })).ToHaveCountAsync(1);
        await Expect(aimi.Page.Locator("#fact-list .fact", new() { HasText = "Berlin" })).ToHaveCountAsync(0);
        await aimi.Page.GetByLabel("Show what was replaced").CheckAsync();
        var replaced = aimi.Page.Locator("#fact-list .fact[data-active=false]", new() { HasText = "Berlin" });
        await Expect(replaced).ToContainTextAsync("replaced by");
        await Expect(replaced).ToContainTextAsync("Munich");
        await Browser.ScreenshotAsync(aimi.Page, "05-memory");
        await aimi.AssertAccessibleAsync();
        await aimi.Page.GetByLabel("Show what was replaced").UncheckAsync();

        await fact.First.GetByRole(AriaRole.Button, new() { Name = "Forget" }).ClickAsync();
        await Expect(fact).ToHaveCountAsync(0);

        // Forget everything, through the confirmation dialog.
        await aimi.Page.Locator("#forget-all").ClickAsync();
        var dialog = aimi.Page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(aimi.Page, "06-forget-everything-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Yes, forget everything" }).ClickAsync();
        await Expect(aimi.Page.Locator("#portrait")).Not.ToContainTextAsync("Contoso");
        await Expect(aimi.Page.Locator("#fact-list .fact")).ToHaveCountAsync(0);

        using var api = await aimi.ApiAsync();
        var search = await api.GetFromJsonAsync<JsonElement>("/memory/search?q=Contoso%20interview&includeInactive=true");
        Assert.Empty(search.EnumerateArray());
    }

    [Fact]
    public async Task What_the_assistant_changes_in_the_chat_appears_in_the_agenda_without_a_reload()
    {
        var aimi = await OpenAsync();
        await aimi.SignInAsync($"hana{Guid.NewGuid():N}"[..16]);

        await aimi.SendAsync("remind me to water the plants tomorrow at 9am");
        await Expect(AimiPage.AgendaItem(aimi.Pending, "plants")).ToHaveAttributeAsync("data-status", "pending_confirmation");

        await aimi.SendAsync("yes");
        await Expect(AimiPage.AgendaItem(aimi.Pending, "plants")).ToHaveCountAsync(0);
        await Expect(AimiPage.AgendaItem(aimi.Upcoming, "plants")).ToHaveAttributeAsync("data-status", PlannedOrScheduled);
    }

    [Fact]
    public async Task On_a_phone_the_same_journey_works_one_view_at_a_time()
    {
        var aimi = await OpenAsync(Phone);
        await Browser.ScreenshotAsync(aimi.Page, "07-phone-sign-in");
        await aimi.SignInAsync($"dan{Guid.NewGuid():N}"[..16]);

        await aimi.SendAsync("remind me to call mom tomorrow at 6pm");
        await Expect(aimi.Page.Locator("#pane-agenda")).ToBeHiddenAsync();
        await Browser.ScreenshotAsync(aimi.Page, "08-phone-chat");

        await aimi.GoToAsync("agenda");
        await Expect(aimi.Page.Locator("#pane-chat")).ToBeHiddenAsync();
        await AimiPage.AgendaItem(aimi.Pending, "all mom").GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = false }).TapAsync();
        await Expect(AimiPage.AgendaItem(aimi.Upcoming, "all mom")).ToHaveAttributeAsync("data-status", PlannedOrScheduled);
        await Browser.ScreenshotAsync(aimi.Page, "09-phone-agenda");
        await aimi.AssertAccessibleAsync();

        // Nothing wider than the screen: no sideways scrolling on a phone.
        var overflow = await aimi.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"The page is {overflow}px wider than the phone's screen.");
    }

    [Fact]
    public async Task In_Russian_the_interface_and_the_assistant_speak_Russian()
    {
        var aimi = await OpenAsync(locale: "ru-RU");
        // Before sign-in the page follows the browser's language.
        await Expect(aimi.Page.GetByRole(AriaRole.Button, new() { Name = "Войти" })).ToBeVisibleAsync();
        await aimi.SignInAsync($"olga{Guid.NewGuid():N}"[..16]);

        // The profile's locale decides once signed in: set it in the settings.
        await aimi.GoToAsync("settings");
        await aimi.Page.GetByLabel("Language").SelectOptionAsync("ru");
        await aimi.Page.Locator("#profile-form button[type=submit]").ClickAsync();
        await Expect(aimi.Page.Locator("#nav a[data-view=agenda]")).ToHaveTextAsync("План");
        await Browser.ScreenshotAsync(aimi.Page, "10-settings-ru");
        await aimi.AssertAccessibleAsync();

        await aimi.GoToAsync("agenda");
        var reply = await aimi.SendAsync("напомни позвонить маме завтра в 18:00");
        await Expect(reply).ToContainTextAsync("маме");
        var proposal = AimiPage.AgendaItem(aimi.Pending, "маме");
        await proposal.GetByRole(AriaRole.Button, new() { Name = "Подтвердить", Exact = false }).ClickAsync();
        await Expect(AimiPage.AgendaItem(aimi.Upcoming, "маме")).ToHaveAttributeAsync("data-status", PlannedOrScheduled);
        await Browser.ScreenshotAsync(aimi.Page, "11-chat-and-agenda-ru");

        using var api = await aimi.ApiAsync();
        var me = await api.GetFromJsonAsync<JsonElement>("/me");
        Assert.Equal("ru", me.GetProperty("locale").GetString());
    }

    [Fact]
    public async Task A_dropped_socket_reconnects_and_what_was_typed_meanwhile_is_sent_once()
    {
        var page = await browser.NewPageAsync(system.Gateway);
        // The browser's socket goes through Playwright, which can cut it and refuse new ones while "offline".
        var connections = 0;
        var offline = false;
        IWebSocketRoute? current = null;
        var urls = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await page.RouteWebSocketAsync("**/ws/chat**", async socket =>
        {
            Interlocked.Increment(ref connections);
            urls.Enqueue(socket.Url);
            if (offline)
            {
                await socket.CloseAsync(new() { Code = 1011, Reason = "test: offline" });
                return;
            }
            current = socket;
            socket.ConnectToServer();
        });
        page.WebSocket += (_, ws) =>
        {
            ws.FrameReceived += (_, f) => output.WriteLine($"<- {f.Text}");
            ws.FrameSent += (_, f) => output.WriteLine($"-> {f.Text}");
            ws.Close += (_, _) => output.WriteLine("closed");
        };
        var aimi = new AimiPage(page, system.Gateway);
        await aimi.OpenAsync();
        await aimi.SignInAsync($"eve{Guid.NewGuid():N}"[..16]);
        await aimi.SendAsync("hello");

        offline = true;
        await current!.CloseAsync(new() { Code = 1012, Reason = "test: dropped" });
        await Expect(page.Locator("#connection-status")).ToHaveAttributeAsync("data-state", "retrying");

        // Sent while disconnected: it waits in the outbox; a draft typed after it stays in the box.
        await page.Locator("#chat-input").FillAsync("what is on my agenda today?");
        await page.Locator("#chat-input").PressAsync("Enter");
        await Expect(page.Locator(".message.user .meta[data-state=sending]")).ToHaveCountAsync(1);
        await page.Locator("#chat-input").FillAsync("a draft I have not sent");
        await Browser.ScreenshotAsync(page, "12-reconnecting");
        // At least one attempt refused while "offline", and the page backs off and tries again.
        await Expect(page.Locator("#connection-status")).ToHaveAttributeAsync("data-state", "retrying");
        await Eventually.GetAsync(() => Task.FromResult(Volatile.Read(ref connections)), n => n >= 2, TimeSpan.FromSeconds(10), "the page reconnects");
        await Expect(page.Locator("#connection-status")).ToHaveAttributeAsync("data-state", "retrying");

        offline = false;
        await Expect(page.Locator("#connection-status")).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 45_000 });
        await Expect(page.Locator(".message.assistant[data-message-id]")).ToHaveCountAsync(2);
        await Expect(page.Locator(".message.user .meta[data-state=answered]")).ToHaveCountAsync(2);
        await Expect(page.Locator("#chat-input")).ToHaveValueAsync("a draft I have not sent");
        Assert.True(connections >= 3, $"Expected a reconnect after the refused attempts, saw {connections} connections.");
        // Every attempt opened with a ticket of its own, and no URL carried the token.
        var tickets = urls.Select(url => System.Web.HttpUtility.ParseQueryString(new Uri(url).Query)).ToList();
        Assert.All(tickets, query => Assert.Equal("ticket", Assert.Single(query.AllKeys)));
        Assert.Equal(tickets.Count, tickets.Select(query => query["ticket"]).Distinct().Count());

        // The server stored the message once, however often it was offered.
        using var api = await aimi.ApiAsync();
        var sessions = await api.GetFromJsonAsync<JsonElement>("/chat/sessions?limit=1");
        var session = await api.GetFromJsonAsync<JsonElement>($"/chat/sessions/{sessions[0].GetProperty("id").GetString()}");
        var asked = session.GetProperty("messages").EnumerateArray().Count(m => m.GetProperty("content").GetString() == "what is on my agenda today?");
        Assert.Equal(1, asked);

        // And the draft survives a reload.
        await page.ReloadAsync();
        await Expect(page.Locator("#chat-input")).ToHaveValueAsync("a draft I have not sent");
    }

    [Fact]
    public async Task A_token_the_gateway_refuses_is_renewed_without_losing_the_page()
    {
        var aimi = await OpenAsync();
        await aimi.SignInAsync($"finn{Guid.NewGuid():N}"[..16]);

        // The stored token goes bad (as when it expires): the next call gets 401, the page renews it and carries on.
        await aimi.SpoilTokenAsync();
        await aimi.Page.ReloadAsync();
        await Expect(aimi.Page.Locator("#connection-status[data-state=open]")).ToBeVisibleAsync();
        await aimi.GoToAsync("goals");
        await Expect(aimi.Page.Locator("#sign-in")).ToBeHiddenAsync();
        var token = await aimi.TokenAsync();
        Assert.NotEqual("not-a-token", token);

        // Goals and habits: create, then edit in place.
        await aimi.Page.GetByLabel("Title").First.FillAsync("Run a half marathon");
        await aimi.Page.Locator("#goal-form button[type=submit]").ClickAsync();
        var goal = aimi.Page.Locator("#goal-list .card", new() { HasText = "Run a half marathon" });
        await Expect(goal).ToBeVisibleAsync();
        await goal.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await goal.Locator("input[name=title]").FillAsync("Run a marathon");
        await goal.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(aimi.Page.Locator("#goal-list .card", new() { HasText = "Run a marathon" })).ToBeVisibleAsync();

        await aimi.Page.Locator("#habit-title").FillAsync("Morning run");
        await aimi.Page.Locator("#habit-goal").SelectOptionAsync(new SelectOptionValue { Label = "Run a marathon" });
        await aimi.Page.Locator("#habit-form button[type=submit]").ClickAsync();
        await Expect(aimi.Page.Locator("#habit-list .card", new() { HasText = "Morning run" })).ToContainTextAsync("Run a marathon");
        await Browser.ScreenshotAsync(aimi.Page, "13-goals-and-habits");
        await aimi.AssertAccessibleAsync();

        // When the token cannot be renewed, the page asks to sign in again instead of going quietly dead.
        await aimi.Page.RouteAsync("**/auth/dev-token", route => route.FulfillAsync(new() { Status = 503 }));
        await aimi.SpoilTokenAsync();
        await aimi.Page.ReloadAsync();
        await Expect(aimi.Page.Locator("#sign-in-message")).ToContainTextAsync("expired");
        await Expect(aimi.Page.Locator("#sign-in-name")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^finn"));
        await Browser.ScreenshotAsync(aimi.Page, "14-session-expired");
    }

    [Fact]
    public async Task Settings_propose_the_browsers_timezone_and_save_reminder_offsets_and_channels()
    {
        var aimi = await OpenAsync();
        await aimi.SignInAsync($"gus{Guid.NewGuid():N}"[..16]);
        await aimi.GoToAsync("settings");

        await aimi.Page.GetByRole(AriaRole.Button, new() { Name = "Use Europe/Berlin (this browser)" }).ClickAsync();
        await aimi.Page.GetByLabel("From").FillAsync("22:00");
        await aimi.Page.GetByLabel("To", new() { Exact = true }).FillAsync("07:00");
        await aimi.SaveAndReloadAsync("#profile-form button[type=submit]", "settings");
        await Expect(aimi.Page.Locator(".notice", new() { HasText = "Saved." })).ToBeVisibleAsync();

        await aimi.Page.GetByLabel("2 hours").UncheckAsync();
        await aimi.Page.GetByLabel("Other times").FillAsync("30");
        await aimi.Page.GetByLabel("E-mail address").FillAsync("gus@example.com");
        await aimi.Page.Locator("#channel-email").CheckAsync();
        await aimi.Page.Locator("#reminder-form button[type=submit]").ClickAsync();
        await Expect(aimi.Page.Locator(".notice", new() { HasText = "Saved." }).Last).ToBeVisibleAsync();
        await Expect(aimi.Page.Locator("#push-status")).ToHaveTextAsync("Web push is not configured on this server.");
        // The address is kept but not used until its owner types back the code mailed to it.
        await Expect(aimi.Page.Locator("#email-status")).ToContainTextAsync("Not confirmed yet");
        await Expect(aimi.Page.GetByLabel("Confirmation code")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(aimi.Page, "15-settings");
        await aimi.AssertAccessibleAsync();

        using var api = await aimi.ApiAsync();
        var me = await api.GetFromJsonAsync<JsonElement>("/me");
        Assert.Equal("Europe/Berlin", me.GetProperty("timeZone").GetString());
        Assert.StartsWith("22:00", me.GetProperty("quietHoursStart").GetString());
        Assert.Equal("gus@example.com", me.GetProperty("channels").GetProperty("email").GetString());
        Assert.Equal("pending", me.GetProperty("channels").GetProperty("emailStatus").GetString());
        var settings = await api.GetFromJsonAsync<JsonElement>("/notifications/settings");
        Assert.Equal([1440, 30, 15], settings.GetProperty("offsetsMinutes").EnumerateArray().Select(o => o.GetInt32()).OrderDescending());
        Assert.Contains("email", settings.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
    }
}
