using System.Numerics;

namespace Aimi.Memory.Benchmarks;

/// <summary>Everyday first-person sentences from templates, for measuring the quantized scan on the real model's embeddings.</summary>
public static class TemplateSentences
{
    private static readonly string[] Subjects =
        ["I", "My sister Anna", "My brother", "My boss", "My friend Tom", "We", "My mother", "Our team", "My partner", "My doctor", "My neighbour", "The kids"];

    private static readonly string[] Actions =
    [
        "went running before", "had a long meeting about", "cooked dinner while talking about", "kept worrying about", "booked a flight because of",
        "started preparing for", "finally finished", "argued again about", "celebrated", "forgot about", "made a plan for", "asked for help with",
        "could not sleep because of", "felt proud of", "postponed", "spent the whole evening on", "got good news about", "was stressed by",
        "read an article about", "called the bank about", "took notes on", "laughed a lot about",
    ];

    private static readonly string[] Objects =
    [
        "the marathon in Berlin", "the project deadline", "the monthly budget", "the trip to Munich", "the Portuguese course", "the interview at Contoso",
        "the guitar lessons", "the rent increase", "the final exam", "the birthday party", "the new apartment", "the doctor's appointment",
        "the quarterly report", "the wedding plans", "the garden", "the car repair", "the job offer", "the team offsite", "the piano recital",
        "the tax return", "the dog's vet visit", "the swimming training", "the book club", "the conference talk", "the kitchen renovation",
        "the sleep schedule", "the weekly groceries", "the football match", "the school play", "the moving boxes",
    ];

    private static readonly string[] Times = ["yesterday", "last week", "on Sunday", "this morning", "after work", "in March", "tonight", "at lunch"];

    private static readonly string[] Endings = ["", " and it felt great", " but it was exhausting", " again", " with a lot of coffee", " for the first time"];

    public static List<string> Generate(int count, Random random)
    {
        var sentences = new HashSet<string>(StringComparer.Ordinal);
        while (sentences.Count < count)
        {
            sentences.Add($"{Pick(Subjects, random)} {Pick(Actions, random)} {Pick(Objects, random)} {Pick(Times, random)}{Pick(Endings, random)}.");
        }
        return sentences.ToList();
    }

    /// <summary>pgvector's <c>binary_quantize</c>: bit i is set when component i is positive.</summary>
    public static ulong[] SignBits(float[] vector)
    {
        var bits = new ulong[(vector.Length + 63) / 64];
        for (var i = 0; i < vector.Length; i++)
        {
            if (vector[i] > 0)
            {
                bits[i / 64] |= 1UL << (i % 64);
            }
        }
        return bits;
    }

    public static int Hamming(ulong[] a, ulong[] b)
    {
        var distance = 0;
        for (var i = 0; i < a.Length; i++)
        {
            distance += BitOperations.PopCount(a[i] ^ b[i]);
        }
        return distance;
    }

    /// <summary>Cosine similarity of the model's normalised vectors.</summary>
    public static float Dot(float[] a, float[] b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static string Pick(string[] options, Random random) => options[random.Next(options.Length)];
}
