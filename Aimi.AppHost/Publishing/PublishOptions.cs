namespace Aimi.AppHost.Publishing;

/// <summary>The command line of <c>publish [--output DIR]</c>; the output folder is relative to the repository root.</summary>
public sealed record PublishOptions(string Output)
{
    public const string Command = "publish";
    public const string DefaultOutput = "deploy";

    public const string Usage = """
        Usage: dotnet run --project Aimi.AppHost -- publish [--output DIR]
          publish                  write DIR/aspire-manifest.json and DIR/kubernetes/ (kustomize base + overlays) from the topology
          --output DIR             where to write, relative to the repository root unless absolute (default deploy)
        """;

    /// <summary>Parses the arguments after <c>publish</c>; an <see cref="ArgumentException"/> carries a message meant for the user.</summary>
    public static PublishOptions Parse(IReadOnlyList<string> args)
    {
        var options = new PublishOptions(DefaultOutput);
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--output" or "-o" when i + 1 < args.Count && args[i + 1].Length > 0:
                    options = options with { Output = args[++i] };
                    break;
                case "--output" or "-o":
                    throw new ArgumentException($"{args[i]} needs a folder.");
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }
        return options;
    }
}
