using System.Globalization;

namespace Aimi.Benchmarks;

/// <summary>
/// Where the machine's CPU goes during a measured window, from Linux's /proc: each process's user+system time at the start and
/// the end, grouped by what it is (a service by its assembly name, PostgreSQL, RabbitMQ, Redis, the benchmark client itself),
/// plus the whole machine's busy time from /proc/stat. A process started inside the window counts whole; one that ended
/// inside it is missed (PostgreSQL's pooled backends live across a run). Figures are CPU-milliseconds, not wall time.
/// </summary>
public sealed class ProcessCpu
{
    private static readonly (string Needle, string Role)[] Roles =
    [
        ("Aimi.Gateway", "gateway"), ("Aimi.Goals.Api", "goals"), ("Aimi.Chat.Api", "chat"), ("Aimi.Memory.Api", "memory"),
        ("Aimi.Notifications.Api", "notifications"), ("Aimi.Web", "web"), ("Aimi.AppHost", "apphost"), ("Aimi.Benchmarks", "bench client"),
        ("postgres", "postgresql"), ("beam.smp", "rabbitmq"), ("rabbitmq", "rabbitmq"), ("epmd", "rabbitmq"), ("erl_child_setup", "rabbitmq"),
        ("inet_gethost", "rabbitmq"), ("redis-server", "redis"), ("dcp", "aspire dcp"),
        ("kdamond", HostRole), ("process_api", HostRole),
    ];

    /// <summary>
    /// What is part of neither the system measured nor the benchmark. The virtual machine's own processes: the kernel's memory monitor
    /// (DAMON's <c>kdamond</c>, busier the more memory the processes touch) and the sandbox's agent. And, when the benchmark starts
    /// the system itself, every process that was running before the benchmark started: the PostgreSQL, RabbitMQ and Redis that the
    /// tests' set-up leaves running (an idle RabbitMQ alone is ~6 ms of CPU a second) have the names of this run's servers. They count
    /// in the machine's figure, and the table says what is left without them.
    /// </summary>
    public const string HostRole = "outside this run";

    private readonly Dictionary<int, (string Role, double Ms)> _start;
    private readonly double _machineBusyMs;
    private readonly long? _startedAfter;

    private ProcessCpu(Dictionary<int, (string Role, double Ms)> start, double machineBusyMs, long? startedAfter)
    {
        _start = start;
        _machineBusyMs = machineBusyMs;
        _startedAfter = startedAfter;
    }

    /// <summary>Whether /proc can be read here (Linux); elsewhere the benchmark prints no CPU table.</summary>
    public static bool Available => File.Exists("/proc/stat");

    /// <param name="ownSystem">Whether the benchmark started the system itself: a process older than the benchmark is then not of it.</param>
    public static ProcessCpu Start(bool ownSystem)
    {
        long? startedAfter = ownSystem ? StartTicks(Fields(File.ReadAllText("/proc/self/stat"))) : null;
        return new(Snapshot(startedAfter), MachineBusy().TotalMilliseconds, startedAfter);
    }

    /// <summary>
    /// CPU-ms per role since <see cref="Start"/>, and the machine's busy CPU-ms over the same window; then per process id
    /// (what tells PostgreSQL's backends apart by the database they serve, <see cref="StatementStats"/>).
    /// </summary>
    public (IReadOnlyDictionary<string, double> ByRole, double MachineMs, IReadOnlyDictionary<int, double> ByProcess) Stop()
    {
        var end = Snapshot(_startedAfter);
        var byRole = new Dictionary<string, double>(StringComparer.Ordinal);
        var byProcess = new Dictionary<int, double>();
        foreach (var (pid, now) in end)
        {
            var before = _start.TryGetValue(pid, out var was) && was.Role == now.Role ? was.Ms : 0;
            var used = Math.Max(0, now.Ms - before);
            byRole[now.Role] = byRole.GetValueOrDefault(now.Role) + used;
            byProcess[pid] = used;
        }
        return (byRole, MachineBusy().TotalMilliseconds - _machineBusyMs, byProcess);
    }

    /// <summary>A table: CPU-s per role over the window and CPU-ms per operation, busiest first.</summary>
    public static IEnumerable<string> Table(IReadOnlyDictionary<string, double> byRole, double machineMs, int operations, string operation)
    {
        var per = Math.Max(operations, 1);
        yield return $"cpu        machine {machineMs / 1000:0.0} CPU-s = {machineMs / per:0.0} ms per {operation} ({operations} {operation}s)";
        if (byRole.TryGetValue(HostRole, out var host) && host > 0)
        {
            var rest = machineMs - host;
            yield return $"           without the processes {HostRole} (the machine's own, servers started before it): {rest / 1000:0.0} CPU-s = {rest / per:0.0} ms per {operation}";
        }
        foreach (var (role, ms) in byRole.Where(r => r.Value >= 5).OrderByDescending(r => r.Value))
        {
            yield return $"  {role,-14} {ms / 1000,7:0.00} CPU-s  {ms / per,7:0.00} ms per {operation}";
        }
    }

    private static Dictionary<int, (string Role, double Ms)> Snapshot(long? startedAfter)
    {
        var ticksPerSecond = 100.0; // USER_HZ on Linux
        var processes = new Dictionary<int, (string Role, double Ms)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                var fields = Fields(stat);
                var ticks = double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                var role = pid == Environment.ProcessId ? "bench client"
                    : StartTicks(fields) < startedAfter ? HostRole
                    : RoleOf(comm + " " + commandLine);
                processes[pid] = (role, ticks * 1000 / ticksPerSecond);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                // The process ended while it was read.
            }
        }
        return processes;
    }

    // The fields of a /proc/<pid>/stat line after the command name, from its 3rd (state): the name is in parentheses and may hold
    // spaces, so the line is split after its closing one.
    private static string[] Fields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

    // When the process started, in clock ticks since boot (the line's 22nd field).
    private static long StartTicks(string[] fields) => long.Parse(fields[19], CultureInfo.InvariantCulture);

    private static string RoleOf(string command)
    {
        foreach (var (needle, role) in Roles)
        {
            if (command.Contains(needle, StringComparison.Ordinal))
            {
                return role;
            }
        }
        return "other";
    }

    /// <summary>
    /// CPU time the whole machine has spent so far, from <c>/proc/stat</c> (user, nice, system, irq and softirq; not idle, I/O wait
    /// or time the hypervisor took): the difference over a window says how close the cores are to saturation.
    /// </summary>
    public static TimeSpan MachineBusy()
    {
        // cpu  user nice system idle iowait irq softirq steal …, in clock ticks of 10 ms (USER_HZ).
        var ticks = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        return TimeSpan.FromMilliseconds((ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) * 10.0);
    }
}
