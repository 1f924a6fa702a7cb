using Aimi.Infrastructure;
using Microsoft.Playwright;

namespace Aimi.IntegrationTests.Web;

/// <summary>
/// Debian's Chromium (installed by <c>deploy/local/setup.sh --browser</c> when missing), driven by Playwright, headless.
/// Playwright never downloads a browser here: it is pointed at the system's executable. One browser for the test class,
/// a fresh context (cookies, storage) per test, closed when the test ends (<see cref="CloseContextsAsync"/>), so an earlier
/// test's page does not stay connected to the system, reconnecting and reloading, while the next one runs.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    // Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
    private static readonly string[] Flags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly List<IBrowserContext> _contexts = [];

    /// <summary>Where the tests save their screenshots: <c>artifacts/screenshots/web</c> under the repository root.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(RepositoryRoot.Find(), "artifacts", "screenshots", "web");

    public async Task InitializeAsync()
    {
        var chromium = await LocalInfrastructure.EnsureChromiumAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Args = Flags });
        Directory.CreateDirectory(ScreenshotFolder);
        // The first reply of a freshly started system loads models and warms every service: longer than Playwright's 5 s.
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    /// <summary>A new context: a phone-sized one when asked, in the given browser language.</summary>
    public async Task<IPage> NewPageAsync(Uri baseUrl, ViewportSize? viewport = null, string locale = "en-GB", string timeZone = "Europe/Berlin")
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl.ToString(),
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 860 },
            Locale = locale,
            TimezoneId = timeZone,
            IsMobile = viewport is { Width: < 600 },
            HasTouch = viewport is { Width: < 600 },
        });
        context.SetDefaultTimeout(30_000);
        _contexts.Add(context);
        return await context.NewPageAsync();
    }

    /// <summary>Closes the contexts opened since the last call (a test class calls it when each test ends).</summary>
    public async Task CloseContextsAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
        _contexts.Clear();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, $"{name}.png"), FullPage = false });

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
    }
}
