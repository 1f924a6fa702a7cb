using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Aimi.AppHost.Hosting;

/// <summary>
/// Runs child processes, streams their output line by line, and stops every one of them with its whole process tree:
/// SIGTERM first (so services shut down gracefully), then a kill of whatever is left, including grandchildren.
/// </summary>
public sealed partial class ProcessSupervisor : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SupervisedProcess> _processes = new();

    /// <summary>Raised for each line a child writes (stdout or stderr); called from the output reader threads.</summary>
    public event Action<SupervisedProcess, string>? Output;

    /// <summary>Raised once when a child exits, for any reason.</summary>
    public event Action<SupervisedProcess>? Exited;

    public IReadOnlyCollection<SupervisedProcess> Processes => _processes.Values.ToList();

    public SupervisedProcess Start(string name, ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true; // a child must not read the AppHost's terminal
        start.UseShellExecute = false;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var supervised = new SupervisedProcess(name, process);
        if (!_processes.TryAdd(name, supervised))
        {
            throw new InvalidOperationException($"A process named '{name}' is already supervised.");
        }
        process.OutputDataReceived += (_, e) => OnLine(supervised, e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(supervised, e.Data);
        process.Exited += (_, _) =>
        {
            supervised.MarkProcessExited();
            // The exit event can precede the last output lines; wait for both streams to drain
            // (an orphaned grandchild holding the pipes open is killed by StopAllAsync).
            process.WaitForExit();
            supervised.MarkExited(process.ExitCode);
            Exited?.Invoke(supervised);
        };
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {name} ({start.FileName}).");
        }
        supervised.Pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return supervised;
    }

    private void OnLine(SupervisedProcess process, string? line)
    {
        if (line is null)
        {
            return;
        }
        process.Remember(line);
        Output?.Invoke(process, line);
    }

    /// <summary>Stops every child: SIGTERM, up to <paramref name="grace"/> to exit, then kills what remains of each tree.</summary>
    public async Task StopAllAsync(TimeSpan grace)
    {
        var running = _processes.Values.Where(p => !p.HasExited).ToList();
        // Remember the descendants now: once a parent exits, its orphans are re-parented and can no longer be found from it.
        var trees = running.ToDictionary(p => p, p => Descendants(p.Pid));
        foreach (var process in running)
        {
            process.Stopping = true;
            if (!OperatingSystem.IsWindows())
            {
                _ = SendSignal(process.Pid, SigTerm);
            }
        }
        await Task.WhenAll(running.Select(async process =>
        {
            try
            {
                await process.ProcessExit.WaitAsync(OperatingSystem.IsWindows() ? TimeSpan.Zero : grace);
            }
            catch (TimeoutException)
            {
                KillTree(process.Process);
            }
            foreach (var pid in trees[process])
            {
                KillPid(pid);
            }
            await process.Completion;
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync(TimeSpan.FromSeconds(10));
        foreach (var process in _processes.Values)
        {
            process.Process.Dispose();
        }
    }

    /// <summary>Every live descendant of <paramref name="pid"/> (Linux: from /proc; elsewhere none, Process.Kill covers the tree).</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child) && ParentOf(child) is { } parent)
            {
                parents[child] = parent;
            }
        }
        var result = new List<int>();
        var frontier = new Queue<int>([pid]);
        while (frontier.TryDequeue(out var current))
        {
            foreach (var (child, parent) in parents)
            {
                if (parent == current)
                {
                    result.Add(child);
                    frontier.Enqueue(child);
                }
            }
        }
        return result;
    }

    /// <summary>Whether a process with this id exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return ReadStat(pid) is { } stat && stat.State != 'Z' && stat.State != 'X';
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static int? ParentOf(int pid) => ReadStat(pid)?.Parent;

    private static (char State, int Parent)? ReadStat(int pid)
    {
        try
        {
            // Format: "pid (comm) state ppid ..."; comm may contain spaces and parentheses, so parse after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    private static void KillPid(int pid)
    {
        if (!IsAlive(pid))
        {
            return;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            KillTree(process);
        }
        catch (ArgumentException)
        {
            // exited meanwhile
        }
    }

    private const int SigInt = 2;
    private const int SigTerm = 15;

    /// <summary>Sends SIGINT (what Ctrl-C sends) to one process; false if it is gone or this is Windows.</summary>
    public static bool Interrupt(int pid) => !OperatingSystem.IsWindows() && SendSignal(pid, SigInt) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

/// <summary>A supervised child: its state, exit code and the last lines it wrote (for failure reports).</summary>
public sealed class SupervisedProcess(string name, Process process)
{
    private const int TailLength = 200;
    private readonly Queue<string> _tail = new();
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _processExit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => name;

    public Process Process => process;

    public int Pid { get; internal set; }

    /// <summary>Set when the supervisor asked it to stop, so an exit is not reported as a crash.</summary>
    public bool Stopping { get; internal set; }

    public bool HasExited => _exit.Task.IsCompleted;

    public int? ExitCode => _exit.Task.IsCompleted ? _exit.Task.Result : null;

    /// <summary>Completes when the process has exited and its output has been read to the end.</summary>
    public Task<int> Completion => _exit.Task;

    /// <summary>Completes as soon as the process itself exits (its children may still hold the output pipes).</summary>
    internal Task ProcessExit => _processExit.Task;

    public IReadOnlyList<string> Tail(int lines)
    {
        lock (_tail)
        {
            return _tail.Skip(Math.Max(0, _tail.Count - lines)).ToList();
        }
    }

    internal void Remember(string line)
    {
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLength)
            {
                _tail.Dequeue();
            }
        }
    }

    internal void MarkProcessExited() => _processExit.TrySetResult();

    internal void MarkExited(int code) => _exit.TrySetResult(code);
}
