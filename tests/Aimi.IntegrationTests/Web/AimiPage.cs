using System.Net.Http.Headers;
using System.Text.Json;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Aimi.IntegrationTests.Web;

/// <summary>The web client as a user sees it: the steps the journeys share, each done through the page (labels and roles, as a screen reader finds them).</summary>
public sealed class AimiPage(IPage page, Uri gateway)
{
    public IPage Page => page;

    public ILocator ChatLog => page.GetByRole(AriaRole.Log);

    public ILocator Pending => page.Locator("#agenda-pending");

    public ILocator Upcoming => page.Locator("#agenda-upcoming");

    public async Task OpenAsync()
    {
        await page.GotoAsync("/");
        await Expect(page.Locator("#sign-in-name")).ToBeVisibleAsync();
    }

    /// <summary>Signs in with the keyboard alone: type the name, Enter.</summary>
    public async Task SignInAsync(string name)
    {
        await page.Locator("#sign-in-name").FocusAsync();
        await page.Keyboard.TypeAsync(name);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#connection-status[data-state=open]")).ToBeVisibleAsync();
    }

    /// <summary>Types a message into the chat and sends it with Enter; returns once the reply is complete.</summary>
    public async Task<ILocator> SendAsync(string text)
    {
        var replies = page.Locator(".message.assistant[data-message-id]");
        var before = await replies.CountAsync();
        await page.Locator("#chat-input").FocusAsync();
        await page.Keyboard.TypeAsync(text);
        await page.Keyboard.PressAsync("Enter");
        await Expect(replies).ToHaveCountAsync(before + 1);
        return replies.Nth(before);
    }

    /// <summary>
    /// Presses Tab from the top of the page until the element named <paramref name="name"/> (its accessible name) has the
    /// focus, and returns the names of everything focused on the way. Fails if the element cannot be reached by keyboard.
    /// </summary>
    public async Task<IReadOnlyList<string>> TabToAsync(string name, int maxPresses = 80)
    {
        // The skip link is the page's first focusable element: start there, as a keyboard user arriving at the page does.
        await page.Locator(".skip").FocusAsync();
        var seen = new List<string>();
        for (var i = 0; i < maxPresses; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string>("""
                () => {
                  const e = document.activeElement;
                  if (!e || e === document.body) return '';
                  const label = e.labels?.[0]?.textContent;
                  return (e.getAttribute('aria-label') || label || e.textContent || '').trim();
                }
                """);
            seen.Add(focused);
            if (focused == name)
            {
                return seen;
            }
        }
        throw new Xunit.Sdk.XunitException($"'{name}' was not reached with {maxPresses} Tab presses; focus went through: {string.Join(" | ", seen)}");
    }

    /// <summary>Opens a view from the navigation and waits until it has loaded its data (so a test never types into a form being filled).</summary>
    public async Task GoToAsync(string view)
    {
        if (view == "chat")
        {
            await page.Locator("#nav a[data-view=chat]").ClickAsync();
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-view", view);
            return;
        }
        await AfterReloadOfAsync(view, () => page.Locator($"#nav a[data-view={view}]").ClickAsync());
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-view", view);
    }

    /// <summary>Clicks a button after which the view loads again (saving the profile reloads every view in its language), and waits for that load.</summary>
    public Task SaveAndReloadAsync(string button, string view) => AfterReloadOfAsync(view, () => page.Locator(button).ClickAsync());

    /// <summary>Does <paramref name="action"/> and waits for the view's next load: each view stamps <c>data-loaded-at</c> when it has rendered.</summary>
    private async Task AfterReloadOfAsync(string view, Func<Task> action)
    {
        var pane = page.Locator($"#pane-{view}");
        await pane.EvaluateAsync("pane => delete pane.dataset.loadedAt");
        await action();
        await Expect(pane).ToHaveAttributeAsync("data-loaded-at", new System.Text.RegularExpressions.Regex("."));
    }

    /// <summary>Replaces the stored access token with one the gateway refuses, as an expired token would be.</summary>
    public Task SpoilTokenAsync() => page.EvaluateAsync("""
        () => {
          const session = JSON.parse(localStorage.getItem('aimi.session'));
          localStorage.setItem('aimi.session', JSON.stringify({ ...session, accessToken: 'not-a-token' }));
        }
        """);

    public static ILocator AgendaItem(ILocator list, string title) => list.Locator(".agenda-item", new() { HasText = title });

    /// <summary>The access token the page holds now (from its stored session).</summary>
    public Task<string> TokenAsync() => page.EvaluateAsync<string>("() => JSON.parse(localStorage.getItem('aimi.session')).accessToken");

    /// <summary>The signed-in user's token, for the few steps a test does through the API directly (as another device would).</summary>
    public async Task<HttpClient> ApiAsync()
    {
        var http = new HttpClient { BaseAddress = gateway };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync());
        return http;
    }

    /// <summary>
    /// Clicks <paramref name="refresh"/> until <paramref name="target"/> shows: for what arrives after background work (a summary
    /// written when a session ends, reminders planned), which the page shows on its next load.
    /// </summary>
    public static async Task RefreshUntilVisibleAsync(ILocator refresh, ILocator target, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await refresh.ClickAsync();
            try
            {
                await Expect(target).ToBeVisibleAsync(new() { Timeout = 2000 });
                return;
            }
            catch (PlaywrightException) when (DateTime.UtcNow < deadline)
            {
                // not there yet: load again
            }
        }
    }

    /// <summary>No serious or critical accessibility problem (axe-core's WCAG 2.1 A/AA rules) on what is shown now.</summary>
    public async Task AssertAccessibleAsync()
    {
        var result = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        var problems = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} — {string.Join("; ", v.Nodes.Select(n => string.Join(" ", n.Target)))}")
            .ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
