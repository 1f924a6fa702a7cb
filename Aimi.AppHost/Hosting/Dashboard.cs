using System.Collections.Concurrent;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Aimi.AppHost.Hosting;

public enum ResourceState
{
    Waiting,
    Starting,
    Running,
    Healthy,
    Unhealthy,
    Exited,
    Stopping,
    Stopped,
}

/// <summary>
/// What the developer sees: in a terminal, a live status table of resources (name, kind, URL, state) above the most recent
/// log lines, each with a coloured <c>[name]</c> prefix; when output is redirected (or <c>--plain</c>), plain prefixed lines.
/// </summary>
public sealed class Dashboard
{
    private static readonly string[] Palette = ["aqua", "fuchsia", "yellow", "lime", "dodgerblue1", "orange1", "mediumpurple1", "springgreen2"];

    private readonly bool _live;
    private readonly List<Row> _rows;
    private readonly ConcurrentQueue<string> _recent = new();
    private readonly List<string> _messages = [];
    private readonly Lock _write = new();
    private volatile bool _changed = true;

    public Dashboard(IEnumerable<(string Name, string Kind, string Url)> resources, bool plain)
    {
        _live = !plain && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        _rows = resources.Select((r, i) => new Row(r.Name, r.Kind, r.Url, Palette[i % Palette.Length])).ToList();
    }

    public void SetState(string name, ResourceState state, string? detail = null)
    {
        var row = _rows.First(r => r.Name == name);
        lock (row)
        {
            if (row.State == state && row.Detail == detail)
            {
                return;
            }
            row.State = state;
            row.Detail = detail;
        }
        _changed = true;
        if (!_live)
        {
            WritePlain("apphost", $"{name}: {Describe(state, detail)}", null);
        }
    }

    public void Log(string name, string line)
    {
        var colour = _rows.FirstOrDefault(r => r.Name == name)?.Colour ?? "grey";
        if (_live)
        {
            _recent.Enqueue($"[{colour}][[{Markup.Escape(name)}]][/] {Markup.Escape(line)}");
            while (_recent.Count > 500 && _recent.TryDequeue(out _))
            {
            }
            _changed = true;
        }
        else
        {
            WritePlain(name, line, colour);
        }
    }

    /// <summary>A line that matters (ready, failure): always printed in full and kept above the table.</summary>
    public void Message(string text)
    {
        lock (_messages)
        {
            _messages.Add(text);
        }
        _changed = true;
        if (!_live)
        {
            lock (_write)
            {
                Console.Out.WriteLine(text);
                Console.Out.Flush();
            }
        }
    }

    /// <summary>Redraws the live view until <paramref name="stop"/> is cancelled, then leaves the final table and messages on screen.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        if (!_live)
        {
            return;
        }
        await AnsiConsole.Live(Render(fullScreen: true)).AutoClear(true).StartAsync(async context =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (_changed)
                {
                    _changed = false;
                    context.UpdateTarget(Render(fullScreen: true));
                    context.Refresh();
                }
                try
                {
                    await Task.Delay(100, stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
        AnsiConsole.Write(Render(fullScreen: false));
    }

    private Rows Render(bool fullScreen)
    {
        var parts = new List<IRenderable>();
        lock (_messages)
        {
            parts.AddRange(_messages.Select(m => new Markup(Markup.Escape(m) + "\n")));
        }
        parts.Add(Table());
        if (fullScreen)
        {
            var room = Math.Max(5, Console.WindowHeight - _rows.Count - parts.Count - 8);
            var lines = _recent.ToArray();
            parts.Add(new Markup(string.Join('\n', lines.Skip(Math.Max(0, lines.Length - room)))));
        }
        return new Rows(parts);
    }

    private Table Table()
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Resource", "Kind", "URL", "State");
        foreach (var row in _rows)
        {
            ResourceState state;
            string? detail;
            lock (row)
            {
                (state, detail) = (row.State, row.Detail);
            }
            var style = state switch
            {
                ResourceState.Healthy or ResourceState.Running => "green",
                ResourceState.Unhealthy or ResourceState.Exited => "red",
                ResourceState.Starting or ResourceState.Waiting or ResourceState.Stopping => "yellow",
                _ => "grey",
            };
            table.AddRow(
                $"[{row.Colour}]{Markup.Escape(row.Name)}[/]",
                Markup.Escape(row.Kind),
                Markup.Escape(row.Url),
                $"[{style}]{Markup.Escape(Describe(state, detail))}[/]");
        }
        return table;
    }

    private static string Describe(ResourceState state, string? detail) =>
        detail is null ? state.ToString() : $"{state} ({detail})";

    private void WritePlain(string name, string line, string? colour)
    {
        lock (_write)
        {
            if (colour is not null && !Console.IsOutputRedirected)
            {
                AnsiConsole.MarkupLine($"[{colour}][[{Markup.Escape(name)}]][/] {Markup.Escape(line)}");
                return;
            }
            // Plain Console writes when redirected: Spectre would wrap them at 80 columns.
            Console.Out.WriteLine($"[{name}] {line}");
            Console.Out.Flush();
        }
    }

    private sealed class Row(string name, string kind, string url, string colour)
    {
        public string Name => name;
        public string Kind => kind;
        public string Url => url;
        public string Colour => colour;
        public ResourceState State { get; set; } = ResourceState.Waiting;
        public string? Detail { get; set; }
    }
}
