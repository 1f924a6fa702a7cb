using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Aimi.AppHost.Tests;

/// <summary>The AppHost's Program.cs evaluated by Aspire's testing builder, without starting anything.</summary>
internal static class AppHostModels
{
    /// <summary>Run mode, ephemeral (so nothing here touches the persistent data folder or fixed ports).</summary>
    public static Task<DistributedApplicationModel> RunModeAsync(params string[] settings) => BuildAsync(["--Aimi:LocalServers:Ephemeral=true", .. settings]);

    public static async Task<DistributedApplicationModel> PublishModeAsync()
    {
        // Building the model writes nothing, but the publisher needs an output path to be selected.
        var unused = Directory.CreateTempSubdirectory("aimi-model-").FullName;
        try
        {
            return await BuildAsync(["--publisher", "manifest", "--output-path", Path.Combine(unused, "aspire-manifest.json")]);
        }
        finally
        {
            Directory.Delete(unused, recursive: true);
        }
    }

    private static async Task<DistributedApplicationModel> BuildAsync(string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Aimi_AppHost>(args, (options, _) => options.DisableDashboard = true);
        var app = await builder.BuildAsync();
        // The model is a snapshot of resources and annotations; the application itself is never started.
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        await app.DisposeAsync();
        return model;
    }

    public static IResource Resource(this DistributedApplicationModel model, string name) => Assert.Single(model.Resources, r => r.Name == name);

    /// <summary>What <c>WithReference</c> named; Aspire also records the server of a referenced database, which is left out here.</summary>
    public static IEnumerable<string> ReferencedNames(this IResource resource)
    {
        var referenced = resource.Annotations.OfType<ResourceRelationshipAnnotation>()
            .Where(r => r.Type == "Reference" && r.Resource is not ParameterResource)
            .Select(r => r.Resource)
            .ToList();
        var parents = referenced.OfType<IResourceWithParent>().Select(r => r.Parent).ToHashSet();
        return referenced.Where(r => !parents.Contains(r)).Select(r => r.Name).Distinct();
    }

    /// <summary>What <c>WaitFor</c> named (again without the server Aspire adds for a database).</summary>
    public static IEnumerable<string> WaitedForNames(this IResource resource)
    {
        var waited = resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource).ToList();
        var parents = waited.OfType<IResourceWithParent>().Select(r => r.Parent).ToHashSet();
        return waited.Where(r => !parents.Contains(r)).Select(r => r.Name).Distinct();
    }

    /// <summary>
    /// The environment a resource is given, as its callbacks write it for a run (values not yet resolved: a parameter or an
    /// endpoint stays an object, a literal is its string).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, object>> EnvironmentAsync(this IResource resource)
    {
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        return context.EnvironmentVariables;
    }

    /// <summary>The command-line arguments a resource is given, as its callbacks write them for a run.</summary>
    public static async Task<IReadOnlyList<object>> ArgumentsAsync(this IResource resource)
    {
        var arguments = new List<object>();
        var context = new CommandLineArgsCallbackContext(arguments, resource);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        return arguments;
    }

    /// <summary>The built assembly a service is started from in run mode (<c>dotnet &lt;assembly&gt;</c>, its only argument).</summary>
    public static async Task<string> StartedAssemblyAsync(this IResource resource) => Assert.IsType<string>(Assert.Single(await resource.ArgumentsAsync()));
}
