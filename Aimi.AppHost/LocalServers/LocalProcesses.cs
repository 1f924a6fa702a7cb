using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Aimi.AppHost.LocalServers;

/// <summary>Short set-up commands (initdb, chown, setup.sh) whose output goes to a resource's console log in the dashboard.</summary>
internal static class LocalProcesses
{
    public static bool IsRoot => Environment.UserName == "root";

    public static async Task RunAsync(string command, IEnumerable<string> args, ILogger log, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        var output = Pump(process.StandardOutput, line => LocalLog.Line(log, line));
        var errors = new List<string>();
        var error = Pump(process.StandardError, line =>
        {
            errors.Add(line);
            LocalLog.Line(log, line);
        });
        await process.WaitForExitAsync(cancellationToken);
        await Task.WhenAll(output, error);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', start.ArgumentList)} failed (exit {process.ExitCode}): {string.Join(Environment.NewLine, errors.TakeLast(20))}");
        }
    }

    /// <summary>Runs <paramref name="command"/> as the postgres user when the AppHost runs as root (PostgreSQL refuses root).</summary>
    public static (string Command, string[] Args) AsPostgresUser(string command, params string[] args) =>
        IsRoot ? ("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", command, .. args]) : (command, args);

    public static Task ChownToPostgresAsync(string path, ILogger log, CancellationToken cancellationToken) =>
        IsRoot ? RunAsync("chown", ["-R", "postgres:postgres", path], log, cancellationToken) : Task.CompletedTask;

    private static async Task Pump(StreamReader reader, Action<string> line)
    {
        while (await reader.ReadLineAsync() is { } text)
        {
            line(text);
        }
    }
}
