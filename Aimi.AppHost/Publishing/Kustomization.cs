namespace Aimi.AppHost.Publishing;

/// <summary>
/// A <c>kustomization.yaml</c> (kustomize.config.k8s.io/v1beta1), typed so it is serialized like the Kubernetes objects
/// (camelCase names, nulls omitted) instead of being written as a YAML string.
/// </summary>
public sealed class Kustomization
{
    public string ApiVersion { get; init; } = "kustomize.config.k8s.io/v1beta1";
    public string Kind { get; init; } = "Kustomization";
    public string? Namespace { get; init; }
    public IList<KustomizeLabels>? Labels { get; init; }
    public IList<string>? Resources { get; init; }
    public IList<KustomizeGenerator>? ConfigMapGenerator { get; init; }
    public IList<KustomizeGenerator>? SecretGenerator { get; init; }
    public IList<KustomizeReplacement>? Replacements { get; init; }
    public IList<KustomizePatch>? Patches { get; init; }
    public IList<KustomizeImage>? Images { get; init; }
}

public sealed class KustomizeLabels
{
    public IDictionary<string, string>? Pairs { get; init; }
    public bool IncludeSelectors { get; init; }
}

/// <summary>A <c>configMapGenerator</c> or <c>secretGenerator</c> entry.</summary>
public sealed class KustomizeGenerator
{
    public required string Name { get; init; }
    public string? Behavior { get; init; }
    public IList<string>? Literals { get; init; }
    public IList<string>? Envs { get; init; }
    public KustomizeGeneratorOptions? Options { get; init; }
}

public sealed class KustomizeGeneratorOptions
{
    public IDictionary<string, string>? Annotations { get; init; }
}

/// <summary>A <c>replacements</c> entry: a value of one object copied into fields of others.</summary>
public sealed class KustomizeReplacement
{
    public required KustomizeReplacementSource Source { get; init; }
    public required IList<KustomizeReplacementTarget> Targets { get; init; }
}

public sealed class KustomizeReplacementSource
{
    public required string Kind { get; init; }
    public required string Name { get; init; }
    public required string FieldPath { get; init; }
}

public sealed class KustomizeReplacementTarget
{
    public required KustomizeSelector Select { get; init; }
    public required IList<string> FieldPaths { get; init; }
}

public sealed class KustomizeSelector
{
    public required string Kind { get; init; }
    public required string Name { get; init; }
}

public sealed class KustomizePatch
{
    public required string Path { get; init; }
}

public sealed class KustomizeImage
{
    public required string Name { get; init; }
    public string? NewName { get; init; }
    public string? NewTag { get; init; }
}
