using System.Diagnostics;
using System.Globalization;

namespace Aimi.Benchmarks;

/// <summary>
/// How fast the machine runs a fixed piece of work at the moment: the same managed code (a sort, then counting formatted numbers in
/// a dictionary) on one thread, the fastest of five timed tries after one untimed. A shared virtual machine's speed moves with its
/// neighbours: two runs of one build five minutes apart (2026-12-06 09:38 and 09:43 UTC) spent 10–20% more CPU in every process of
/// the second. Printed before the measured window, it says whether a run's CPU figures came from a fast host or a slow one, so runs
/// of two builds are compared for what the code did. It changes nothing in the figures themselves.
/// </summary>
public static class HostSpeed
{
    private const int Tries = 5;

    /// <summary>The fastest of <see cref="Tries"/> runs of the reference work, in milliseconds.</summary>
    public static double ReferenceMs()
    {
        Work(); // compiled and its memory touched, untimed
        var fastest = double.MaxValue;
        for (var i = 0; i < Tries; i++)
        {
            var watch = Stopwatch.StartNew();
            Work();
            fastest = Math.Min(fastest, watch.Elapsed.TotalMilliseconds);
        }
        return fastest;
    }

    public static string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"host       reference work {ReferenceMs():F1} ms (one thread, the fastest of {Tries}; the same work takes longer on a busier host)");

    /// <summary>A sort of 200,000 numbers, then 100,000 of them formatted and counted by text: the kind of work the services do.</summary>
    private static int Work()
    {
        var random = new Random(17);
        var numbers = new int[200_000];
        for (var i = 0; i < numbers.Length; i++)
        {
            numbers[i] = random.Next();
        }
        Array.Sort(numbers);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < 100_000; i++)
        {
            var key = (numbers[i] % 5_000).ToString(CultureInfo.InvariantCulture);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts.Count + numbers[^1];
    }
}
