using System.Reflection;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// Starts a project as <c>dotnet &lt;its built assembly&gt;</c>. By default DCP starts each project through
/// <c>dotnet run --project …</c>, a launcher process that stays beside the service for its lifetime (about 60 MB each, six of
/// them); the AppHost's build has just built the referenced projects (a project reference builds it), so the launcher's own build
/// check adds nothing. The assemblies' paths are recorded at the AppHost's build (<c>AimiProjectOutputs</c> in its project file);
/// a project without a recorded or existing assembly keeps Aspire's default launch.
/// </summary>
internal static class ProjectOutputs
{
    private const string MetadataPrefix = "Aimi.ProjectOutput:";

    private static readonly Dictionary<string, string> Assemblies = typeof(ProjectOutputs).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Where(a => a.Key.StartsWith(MetadataPrefix, StringComparison.Ordinal) && !string.IsNullOrEmpty(a.Value))
        .ToDictionary(a => a.Key[MetadataPrefix.Length..], a => a.Value!, StringComparer.OrdinalIgnoreCase);

    /// <summary>The built assembly of the project at <paramref name="projectPath"/>, when the AppHost's build recorded one that exists.</summary>
    public static string? Find(string projectPath) =>
        Assemblies.TryGetValue(Path.GetFileNameWithoutExtension(projectPath), out var assembly) && File.Exists(assembly) ? assembly : null;

    public static IResourceBuilder<ProjectResource> RunBuiltAssembly(this IResourceBuilder<ProjectResource> project)
    {
        var projectPath = project.Resource.GetProjectMetadata().ProjectPath;
        if (Find(projectPath) is not { } assembly)
        {
            return project;
        }
        // The working directory stays the project's, as under `dotnet run`: the content root (appsettings.json) is the same.
        return project
            .WithAnnotation(new ExecutableAnnotation { Command = "dotnet", WorkingDirectory = Path.GetDirectoryName(projectPath)! })
            .WithArgs(assembly);
    }
}
