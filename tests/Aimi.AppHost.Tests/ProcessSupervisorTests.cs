using System.Collections.Concurrent;
using System.Diagnostics;
using Aimi.AppHost.Hosting;

namespace Aimi.AppHost.Tests;

public class ProcessSupervisorTests
{
    private static ProcessStartInfo Shell(string script) => new("sh", ["-c", script]);

    [Fact]
    public async Task Streams_stdout_and_stderr_lines_and_reports_the_exit_code()
    {
        await using var supervisor = new ProcessSupervisor();
        var lines = new ConcurrentQueue<(string, string)>();
        var exited = new TaskCompletionSource<SupervisedProcess>();
        supervisor.Output += (p, line) => lines.Enqueue((p.Name, line));
        supervisor.Exited += p => exited.TrySetResult(p);

        var child = supervisor.Start("worker", Shell("echo hello; echo oops >&2; exit 3"));
        var done = await exited.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Same(child, done);
        Assert.Equal(3, child.ExitCode);
        Assert.False(child.Stopping);
        Assert.Equal(["hello", "oops"], lines.Where(l => l.Item1 == "worker").Select(l => l.Item2).Order());
        Assert.Equal(["hello", "oops"], child.Tail(10).Order());
    }

    [Fact]
    public async Task Stopping_leaves_no_process_of_the_tree_alive()
    {
        await using var supervisor = new ProcessSupervisor();
        var child = supervisor.Start("tree", Shell("sleep 300 & sleep 300 & wait"));
        var descendants = await WaitForDescendantsAsync(child.Pid, 2);

        await supervisor.StopAllAsync(TimeSpan.FromSeconds(5));

        Assert.True(child.HasExited);
        Assert.True(child.Stopping);
        Assert.False(ProcessSupervisor.IsAlive(child.Pid));
        Assert.All(descendants, pid => Assert.False(ProcessSupervisor.IsAlive(pid), $"pid {pid} survived"));
    }

    [Fact]
    public async Task A_child_that_ignores_sigterm_is_killed_after_the_grace_period()
    {
        await using var supervisor = new ProcessSupervisor();
        var child = supervisor.Start("stubborn", Shell("trap '' TERM; sleep 300 & wait; sleep 300"));
        var descendants = await WaitForDescendantsAsync(child.Pid, 1);
        var watch = Stopwatch.StartNew();

        await supervisor.StopAllAsync(TimeSpan.FromMilliseconds(500));

        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10));
        Assert.False(ProcessSupervisor.IsAlive(child.Pid));
        Assert.All(descendants, pid => Assert.False(ProcessSupervisor.IsAlive(pid), $"pid {pid} survived"));
    }

    [Fact]
    public async Task Disposing_the_supervisor_stops_its_children()
    {
        var supervisor = new ProcessSupervisor();
        var child = supervisor.Start("sleeper", new ProcessStartInfo("sleep", ["300"]));
        Assert.True(ProcessSupervisor.IsAlive(child.Pid));

        await supervisor.DisposeAsync();

        Assert.False(ProcessSupervisor.IsAlive(child.Pid));
    }

    [Fact]
    public async Task Names_are_unique()
    {
        await using var supervisor = new ProcessSupervisor();
        supervisor.Start("one", new ProcessStartInfo("sleep", ["300"]));

        Assert.Throws<InvalidOperationException>(() => supervisor.Start("one", new ProcessStartInfo("sleep", ["300"])));
    }

    private static async Task<IReadOnlyList<int>> WaitForDescendantsAsync(int pid, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var found = ProcessSupervisor.Descendants(pid);
            if (found.Count >= count)
            {
                return found;
            }
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} children of {pid}, found {found.Count}");
            await Task.Delay(20);
        }
    }
}
