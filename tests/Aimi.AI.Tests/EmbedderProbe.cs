using System.Globalization;
using Aimi.AI.Local;

namespace Aimi.AI.Tests;

/// <summary>
/// Entry point of the test assembly (the test SDK's generated one is turned off): with <see cref="Marker"/> it prints
/// the local embedding of its argument, so a test can compare vectors across processes.
/// </summary>
public static class EmbedderProbe
{
    public const string Marker = "--embed";

    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length != 2 || args[0] != Marker)
        {
            return 2;
        }

        using var generator = new LocalEmbeddingGenerator();
        var vector = generator.Embed(args[1]);
        Console.WriteLine(string.Join(' ', vector.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
        return 0;
    }
}
