using System.Diagnostics;
using System.Reflection;
using Aimi.Infrastructure;

namespace Aimi.AppHost.Tests;

/// <summary>
/// The documented publish command, run once into a temporary folder:
/// <c>dotnet run --project Aimi.AppHost -- --publisher manifest --output-path DIR/aspire-manifest.json</c>
/// (from the AppHost's build output, which the project reference keeps current).
/// </summary>
internal static class PublishedOutput
{
    private static readonly Lazy<Task<string>> Folder = new(PublishAsync);

    public static string Root { get; } = RepositoryRoot.Find();

    public static Task<string> FolderAsync() => Folder.Value;

    private static async Task<string> PublishAsync()
    {
        var folder = Directory.CreateTempSubdirectory("aimi-publish-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        var configuration = typeof(PublishedOutput).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var appHost = Path.Combine(Root, "Aimi.AppHost", "bin", configuration, "net10.0", "Aimi.AppHost.dll");
        var start = new ProcessStartInfo("dotnet", [appHost, "--publisher", "manifest", "--output-path", Path.Combine(folder, "aspire-manifest.json")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"publish failed ({process.ExitCode}): {await output}{await error}");
        return folder;
    }
}
