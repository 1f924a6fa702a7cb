using System.Globalization;
using System.Text;

namespace Aimi.AI.Local;

/// <summary>Lower-cases, Unicode-normalises (NFKC, ё→е) and splits text into words of letters and digits (Latin, Cyrillic, any script).</summary>
public static class TextNormalizer
{
    public static IReadOnlyList<string> Words(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var normalized = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant().Replace('ё', 'е');
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in normalized)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(ch);
            // Letters, digits and combining marks belong to words; everything else (punctuation, symbols, spaces) splits.
            if (char.IsLetterOrDigit(ch) || category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
            {
                current.Append(ch);
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words;
    }
}
